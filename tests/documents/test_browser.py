"""A real browser uploads with the progress bar, sees the TLP badge and downloads the same bytes."""

from __future__ import annotations

import os

import pytest

from tests.conftest import browser_login


@pytest.mark.browser
def test_upload_progress_badge_and_download(
    live_server, page, app, make_user, make_group, tmp_path
):
    data = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "field-report.bin"
    source.write_bytes(data)
    member = make_user("browser@police.example", country="BE")
    group = make_group(members={member: "member"})
    browser_login(page, live_server, member, app)
    page.goto(f"{live_server}/groups/{group}/documents")
    page.set_input_files("#file-input", str(source))
    page.fill("#title", "Field report")
    page.select_option("#tlp", "TLP:AMBER")
    page.select_option("#handling_code", "H2")
    assert page.locator("#upload-list progress").count() == 1
    page.click("#upload-button")
    page.wait_for_selector("#upload-list li.done", timeout=60_000)
    progress = page.locator("#upload-list progress")
    assert progress.evaluate("bar => bar.value === bar.max && bar.max > 0")
    page.wait_for_load_state("load")
    page.goto(f"{live_server}/groups/{group}/documents")
    badge = page.locator("table.documents .tlp-amber").first
    assert badge.inner_text() == "TLP:AMBER"
    page.click("text=Field report")
    page.click("text=Download")
    assert page.locator(".marking .tlp-amber").inner_text() == "TLP:AMBER"
    with page.expect_download() as info:
        page.click("#download-link")
    target = tmp_path / "downloaded.bin"
    info.value.save_as(target)
    assert target.read_bytes() == data
    assert info.value.suggested_filename == "field-report.bin"
