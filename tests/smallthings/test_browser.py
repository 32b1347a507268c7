"""Small things a new user trips over, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login


@pytest.mark.browser
def test_the_document_count_follows_uploads_without_a_reload(
    live_server, page, app, make_user, make_group, tmp_path
):
    member = make_user("uploader@police.example", country="BE")
    group = make_group(members={member: "member"})
    files = []
    for name in ("first.txt", "second.txt"):
        path = tmp_path / name
        path.write_text(f"contents of {name}")
        files.append(str(path))
    browser_login(page, live_server, member, app)
    page.goto(f"{live_server}/groups/{group}/documents")
    assert page.locator(".document-count").inner_text() == "0 of 0"
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    page.set_input_files("#file-input", files)
    page.fill("#title", "Field notes")
    page.click("#upload-button")
    expect(page.locator(".document-count")).to_have_text("2 of 2", timeout=30_000)
    assert page.evaluate("window.__sameDocument === true")
    assert page.locator("#upload-list li.done").count() == 2  # the statuses stay in view
    assert page.locator("table.documents tbody tr").count() == 2
