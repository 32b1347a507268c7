"""Quoting a post keeps its Markdown: the source is served to whoever may read the post."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.discussions.support import new_thread, sign_in

LINES = ["Steps:", "", "- screen", "- assess", "", "| tool | use |", "| --- | --- |"]
LINES += ["| VERA | risk |", "", "```", "code()", "```"]
BODY = "\n".join(LINES)


def test_the_source_is_for_readers_only(client, team, login, app):
    tid = new_thread(client, team, body=BODY)
    thread = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()
    pid = thread["posts"][0]["id"]
    login(client, team.observer)
    response = client.get(f"/posts/{pid}/source")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == BODY
    assert response.headers["Cache-Control"] == "no-store"
    from emisa.audit.models import AuditEntry
    from emisa.extensions import db

    with app.app_context():
        actions = db.session.scalars(db.select(AuditEntry.action)).all()
    assert "post.source_read" in actions  # a read of content, audited like the thread page
    outsider = app.test_client()
    login(outsider, team.outsider)
    assert outsider.get(f"/posts/{pid}/source").status_code == 404


@pytest.mark.browser
def test_quote_keeps_lists_tables_and_code(live_server, page, app, client, team):
    tid = new_thread(client, team, body=BODY)
    sign_in(page, live_server, team.coordinator, app)
    page.goto(f"{live_server}/threads/{tid}")
    page.click("article.post .js-quote")
    textarea = page.locator("form.reply-form textarea")
    expect(textarea).to_have_value(
        "\n".join(f"> {line}" if line else ">" for line in BODY.split("\n")) + "\n\n"
    )
