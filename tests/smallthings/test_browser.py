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


@pytest.mark.browser
def test_country_choices_are_searchable_with_presets(live_server, page, app, make_user, make_group):
    member = make_user("countries@police.example", country="BE")
    group = make_group(members={member: "member"})
    browser_login(page, live_server, member, app)
    page.goto(f"{live_server}/groups/{group}/discussions/new")
    select = page.locator("select[name=releasable_to]")
    summary = page.locator(".country-summary")
    expect(summary).to_have_text("None selected")
    page.click(".country-picker button:text-is('Sahel')")
    expect(summary).to_contain_text("5 selected")
    assert sorted(select.evaluate("s => [...s.selectedOptions].map(o => o.value)")) == [
        "BF",
        "ML",
        "MR",
        "NE",
        "TD",
    ]
    page.click(".country-picker button:text-is('EU-27')")
    expect(summary).to_contain_text("32 selected")
    page.click(".country-picker button:text-is('Clear')")
    expect(summary).to_have_text("None selected")
    page.fill(".country-picker input[type=search]", "tunis")
    visible = select.evaluate("s => [...s.options].filter(o => !o.hidden).map(o => o.value)")
    assert visible == ["TN"]
    page.click("select[name=releasable_to] option[value=TN]")
    page.fill(".country-picker input[type=search]", "kenya")
    page.click("select[name=releasable_to] option[value=KE]")  # no Ctrl: Tunisia stays chosen
    assert sorted(select.evaluate("s => [...s.selectedOptions].map(o => o.value)")) == ["KE", "TN"]


@pytest.mark.browser
def test_hidden_buttons_stay_hidden(live_server, page, app, make_user, make_group, client):
    member = make_user("hidden@police.example", country="BE")
    group = make_group(members={member: "member"})
    from tests.discussions.support import api_token

    token = api_token(app, member)
    response = client.post(
        f"/api/v1/groups/{group}/threads",
        json={"title": "Hidden check", "body": "x", "tlp": "TLP:AMBER"},
        headers={"Authorization": f"Bearer {token}"},
    )
    browser_login(page, live_server, member, app)
    page.goto(f"{live_server}/threads/{response.get_json()['id']}")
    cancel = page.locator(".js-cancel-reply")
    expect(cancel).to_be_hidden()  # "Reply to the thread instead" only once replying to a post
    page.click("article.post .js-reply")
    expect(cancel).to_be_visible()
    cancel.click()
    expect(cancel).to_be_hidden()
