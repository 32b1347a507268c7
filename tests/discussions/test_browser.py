"""Hostile posts on the real thread page, in Chromium: no script runs, no dialog opens."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.discussions.support import new_thread, reply, sign_in
from tests.text.hostile import HOSTILE


@pytest.mark.browser
def test_hostile_posts_are_inert_in_a_real_browser(client, team, app, live_server, page):
    tid = new_thread(
        client,
        team,
        title='<img src=x onerror="alert(1)"><script>alert(2)</script>',
        body=HOSTILE[0],
    )
    for source in HOSTILE[1:]:
        assert reply(client, team, tid, source).status_code == 201

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, team.observer, app)
    page.goto(f"{live_server}/threads/{tid}")
    page.wait_for_load_state("load")
    assert page.locator("article.post").count() == len(HOSTILE)
    # Give anything that would fire (onload, onerror, autofocus, timers) the chance to.
    page.wait_for_timeout(500)
    for link in page.locator(".post-body a").all():
        link.hover()
    assert dialogs == []
    findings = page.evaluate(
        """() => {
          const bad = [];
          for (const el of document.querySelectorAll('.post-body *, .thread-heading *')) {
            if (el.closest('.tlp')) continue;
            // The template's own <bdi> around the title (it isolates the title's direction).
            if (el.tagName === 'BDI' && el.parentElement.matches('.thread-heading')
                && !el.attributes.length) continue;
            const allowed = ['P','BR','HR','EM','STRONG','DEL','S','UL','OL','LI','CODE','PRE',
              'BLOCKQUOTE','TABLE','THEAD','TBODY','TR','TH','TD','H1','H2','H3','H4','H5','H6','A'];
            if (!allowed.includes(el.tagName)) bad.push('tag ' + el.tagName);
            for (const attr of el.attributes) {
              if (attr.name.startsWith('on') || attr.name === 'style' || attr.name === 'src')
                bad.push(el.tagName + ' ' + attr.name);
              if (attr.name === 'href' && !/^(https?:|mailto:)/i.test(attr.value))
                bad.push('href ' + attr.value);
            }
          }
          return bad;
        }"""
    )
    assert findings == []
    assert page.locator(".thread-heading").inner_text().count("<img") == 1  # shown as text
    assert not [e for e in errors if "alert" in e]


@pytest.mark.browser
def test_quoting_a_post_in_the_browser_posts_a_nested_reply_with_the_quote(
    client, team, app, live_server, page
):
    tid = new_thread(client, team, body="Opening question")
    answer = reply(client, team, tid, "We interview *within a week*.", by=team.coordinator)
    answer_id = answer.get_json()["id"]

    sign_in(page, live_server, team.member, app)
    page.goto(f"{live_server}/threads/{tid}")
    page.locator(f"#post-{answer_id} .js-quote").click()
    assert page.locator(".js-replying-to").inner_text() == "to Coordinator Colette"
    textarea = page.locator("form.reply-form textarea")
    # The quote is the post's Markdown: its emphasis survives.
    expect(textarea).to_have_value("> We interview *within a week*.\n\n")
    textarea.press("End")
    textarea.type("Thank you, we do the same.")
    page.locator("form.reply-form button[type=submit]").click()
    page.wait_for_load_state("load")

    posts = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()["posts"]
    mine = posts[-1]
    assert mine["parent_id"] == answer_id
    assert mine["depth"] == 1
    assert "<blockquote>" in mine["body_html"]
    assert "Thank you, we do the same." in mine["body_html"]
