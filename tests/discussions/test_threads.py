"""Threads and posts through the API and the pages, as members, observers and outsiders see them."""

from __future__ import annotations

from emisa.text.markdown import MAX_SOURCE_CHARS
from tests.discussions.support import new_thread, reply
from tests.support.web import post_form


def test_thread_round_trip_with_nested_replies(client, team):
    tid = new_thread(client, team, body="How do you **screen** returnees in probation?")
    first = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()
    assert first["title"] == "Screening returnees"
    assert first["tlp"] == "TLP:AMBER"
    opening = first["posts"][0]
    assert (
        opening["body_html"]
        == "<p>How do you <strong>screen</strong> returnees in probation?</p>\n"
    )
    assert opening["author"] == "Member Mohamed" and opening["parent_id"] is None

    answer = reply(
        client,
        team,
        tid,
        "With a structured interview.",
        by=team.coordinator,
        parent_id=opening["id"],
    )
    assert answer.status_code == 201
    answer_id = answer.get_json()["id"]
    assert reply(client, team, tid, "Which one?", parent_id=answer_id).status_code == 201
    assert reply(client, team, tid, "Thanks all.").status_code == 201

    posts = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.observer)).get_json()["posts"]
    assert [(p["parent_id"], p["depth"]) for p in posts] == [
        (None, 0),
        (opening["id"], 1),
        (answer_id, 2),
        (None, 0),
    ]
    listing = client.get(f"/api/v1/groups/{team.group}/threads", headers=team.h(team.member))
    assert [t["id"] for t in listing.get_json()] == [tid]
    assert listing.get_json()[0]["post_count"] == 4


def test_observers_read_but_cannot_post(client, team):
    tid = new_thread(client, team)
    assert client.get(f"/api/v1/threads/{tid}", headers=team.h(team.observer)).status_code == 200
    refused = reply(client, team, tid, "I should not be able to say this", by=team.observer)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    create = client.post(
        f"/api/v1/groups/{team.group}/threads",
        json={"title": "Observer thread", "body": "x", "tlp": "TLP:AMBER"},
        headers=team.h(team.observer),
    )
    assert create.status_code == 403


def test_outsiders_see_nothing(client, team):
    tid = new_thread(client, team)
    for url in (f"/api/v1/threads/{tid}", f"/api/v1/groups/{team.group}/threads"):
        response = client.get(url, headers=team.h(team.outsider))
        assert response.status_code in (403, 404)
    assert client.get(f"/api/v1/threads/{tid}", headers=team.h(team.outsider)).status_code == 404
    assert reply(client, team, tid, "hello", by=team.outsider).status_code == 404
    assert (
        client.get(f"/api/v1/threads/{tid + 999}", headers=team.h(team.member)).status_code == 404
    )


def test_locked_thread_refuses_posts_with_a_clear_message(client, team):
    tid = new_thread(client, team)
    locked = client.patch(
        f"/api/v1/threads/{tid}", json={"locked": True}, headers=team.h(team.coordinator)
    )
    assert locked.status_code == 200
    for persona in (team.member, team.coordinator):
        refused = reply(client, team, tid, "one more thing", by=persona)
        assert refused.status_code == 409
        assert "locked" in refused.get_json()["error"]["message"]
    assert (
        client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()["locked"]
        is True
    )


def test_locked_thread_page_refuses_and_says_why(client, team, login):
    tid = new_thread(client, team)
    login(client, team.member)
    page = client.get(f"/threads/{tid}").get_data(as_text=True)
    assert f'action="/threads/{tid}/posts"' in page
    client.patch(f"/api/v1/threads/{tid}", json={"locked": True}, headers=team.h(team.coordinator))
    page = client.get(f"/threads/{tid}").get_data(as_text=True)
    assert "locked by a coordinator" in page
    response = post_form(
        client,
        f"/threads/{tid}/posts",
        {"body": "sneaky"},
        page=f"/groups/{team.group}/discussions",
    )
    assert response.status_code == 409
    assert "locked by a coordinator" in response.get_data(as_text=True)
    posts = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()["posts"]
    assert len(posts) == 1


def test_reply_parent_must_be_in_the_same_thread(client, team):
    one = new_thread(client, team, title="First thread")
    two = new_thread(client, team, title="Second thread")
    other_post = client.get(f"/api/v1/threads/{two}", headers=team.h(team.member)).get_json()[
        "posts"
    ][0]["id"]
    assert reply(client, team, one, "cross", parent_id=other_post).status_code == 404


def test_edit_keeps_history_for_coordinators_and_shows_edited(client, team, login):
    tid = new_thread(client, team, body="First version")
    pid = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()["posts"][0][
        "id"
    ]
    edited = client.patch(
        f"/api/v1/posts/{pid}", json={"body": "Second version"}, headers=team.h(team.member)
    )
    assert edited.status_code == 200
    post = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.observer)).get_json()["posts"][
        0
    ]
    assert post["body_html"] == "<p>Second version</p>\n" and post["edited_at"]
    history = client.get(f"/api/v1/posts/{pid}/history", headers=team.h(team.coordinator))
    assert [r["body"] for r in history.get_json()["revisions"]] == ["First version"]
    assert (
        client.get(f"/api/v1/posts/{pid}/history", headers=team.h(team.observer)).status_code == 403
    )
    # Someone else's post cannot be edited.
    assert (
        client.patch(
            f"/api/v1/posts/{pid}", json={"body": "x"}, headers=team.h(team.coordinator)
        ).status_code
        == 403
    )
    login(client, team.coordinator)
    page = client.get(f"/threads/{tid}").get_data(as_text=True)
    assert ">edited<" in page and f"/posts/{pid}/history" in page
    assert "First version" in client.get(f"/posts/{pid}/history").get_data(as_text=True)


def test_delete_leaves_a_tombstone(client, team, login):
    tid = new_thread(client, team, body="Opening")
    pid = reply(client, team, tid, "Regrettable words").get_json()["id"]
    reply(client, team, tid, "An answer to it", by=team.coordinator, parent_id=pid)
    assert (
        client.delete(f"/api/v1/posts/{pid}", headers=team.h(team.coordinator)).status_code == 403
    )
    assert client.delete(f"/api/v1/posts/{pid}", headers=team.h(team.member)).status_code == 204
    posts = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.coordinator)).get_json()[
        "posts"
    ]
    gone = next(p for p in posts if p["id"] == pid)
    assert gone["deleted"] and gone["body_html"] is None
    assert posts[-1]["parent_id"] == pid  # the answer keeps its place
    login(client, team.observer)
    page = client.get(f"/threads/{tid}").get_data(as_text=True)
    assert "deleted by its author" in page and "Regrettable" not in page


def test_hidden_post_visible_to_author_and_coordinators_only(client, team, app):
    tid = new_thread(client, team, body="Opening")
    pid = reply(client, team, tid, "Off-topic rant").get_json()["id"]
    assert (
        client.post(
            f"/api/v1/posts/{pid}/hide", json={"reason": "Off topic"}, headers=team.h(team.member)
        ).status_code
        == 403
    )
    hidden = client.post(
        f"/api/v1/posts/{pid}/hide",
        json={"reason": "Off topic here"},
        headers=team.h(team.coordinator),
    )
    assert hidden.status_code == 200

    def seen_by(persona):
        posts = client.get(f"/api/v1/threads/{tid}", headers=team.h(persona)).get_json()["posts"]
        return next(p for p in posts if p["id"] == pid)

    assert seen_by(team.observer)["body_html"] is None
    assert seen_by(team.observer)["hidden_reason"] is None
    for persona in (team.member, team.coordinator):
        assert seen_by(persona)["body_html"] == "<p>Off-topic rant</p>\n"
        assert seen_by(persona)["hidden_reason"] == "Off topic here"
    with app.app_context():
        from sqlalchemy import select

        from emisa.audit.models import AuditEntry
        from emisa.extensions import db

        actions = list(db.session.scalars(select(AuditEntry.action)))
        details = " ".join(db.session.scalars(select(AuditEntry.details)))
    assert "post.hidden" in actions
    assert "Off topic here" not in details


def test_pinned_threads_come_first_and_unread_counts(client, team):
    old = new_thread(client, team, title="Old question")
    new_thread(client, team, title="Newer question")
    client.patch(f"/api/v1/threads/{old}", json={"pinned": True}, headers=team.h(team.coordinator))
    listing = client.get(f"/api/v1/groups/{team.group}/threads", headers=team.h(team.observer))
    rows = listing.get_json()
    assert [r["title"] for r in rows] == ["Old question", "Newer question"]
    assert rows[0]["pinned"] and rows[0]["unread"] == 1
    client.get(f"/api/v1/threads/{old}", headers=team.h(team.observer))
    reply(client, team, old, "news")
    rows = client.get(
        f"/api/v1/groups/{team.group}/threads", headers=team.h(team.observer)
    ).get_json()
    assert rows[0]["unread"] == 1 and rows[1]["unread"] == 1


def test_long_threads_paginate_and_post_links_open_the_right_page(client, team, login):
    tid = new_thread(client, team, body="post zero")
    ids = [reply(client, team, tid, f"reply number {n}").get_json()["id"] for n in range(60)]
    login(client, team.observer)
    first = client.get(f"/threads/{tid}").get_data(as_text=True)
    assert "reply number 48" in first and "reply number 49" not in first
    link = client.get(f"/posts/{ids[-1]}")
    assert link.status_code == 302
    assert link.headers["Location"].endswith(f"/threads/{tid}?page=2#post-{ids[-1]}")
    second = client.get(link.headers["Location"]).get_data(as_text=True)
    assert f'id="post-{ids[-1]}"' in second
    assert client.get(f"/threads/{tid}?page=9").status_code == 404


def test_red_thread_only_for_named_recipients(client, team):
    tid = new_thread(
        client, team, title="Named only", tlp="TLP:RED", recipients=[team.coordinator.id]
    )
    assert client.get(f"/api/v1/threads/{tid}", headers=team.h(team.coordinator)).status_code == 200
    assert client.get(f"/api/v1/threads/{tid}", headers=team.h(team.observer)).status_code == 404
    listing = client.get(f"/api/v1/groups/{team.group}/threads", headers=team.h(team.observer))
    assert listing.get_json() == []
    stranger = client.post(
        f"/api/v1/groups/{team.group}/threads",
        json={"title": "Bad", "body": "x", "tlp": "TLP:RED", "recipients": [team.outsider.id]},
        headers=team.h(team.member),
    )
    assert stranger.status_code == 400


def test_releasable_to_narrows_readers(client, team):
    tid = new_thread(client, team, title="France and Tunisia only", releasable_to=["FR", "TN"])
    assert client.get(f"/api/v1/threads/{tid}", headers=team.h(team.coordinator)).status_code == 200
    assert client.get(f"/api/v1/threads/{tid}", headers=team.h(team.observer)).status_code == 404
    bad = client.post(
        f"/api/v1/groups/{team.group}/threads",
        json={"title": "Typo", "body": "x", "tlp": "TLP:AMBER", "releasable_to": ["XX"]},
        headers=team.h(team.member),
    )
    assert bad.status_code == 400


def test_pages_new_thread_and_reply_as_a_browser_would(client, team, login):
    login(client, team.member)
    index = client.get(f"/groups/{team.group}/discussions")
    assert index.status_code == 200 and "New thread" in index.get_data(as_text=True)
    response = post_form(
        client,
        f"/groups/{team.group}/discussions/new",
        {"title": "Exit programmes", "body": "Who runs *one*?", "tlp": "TLP:GREEN"},
    )
    assert response.status_code == 302
    thread_url = response.headers["Location"]
    page = client.get(thread_url).get_data(as_text=True)
    assert "Who runs <em>one</em>?" in page and "TLP:GREEN" in page
    response = post_form(client, thread_url + "/posts", {"body": "We do."}, page=thread_url)
    assert response.status_code == 302
    assert "We do." in client.get(response.headers["Location"], follow_redirects=True).get_data(
        as_text=True
    )


def test_observer_pages_have_no_post_controls(client, team, login):
    tid = new_thread(client, team)
    login(client, team.observer)
    page = client.get(f"/threads/{tid}").get_data(as_text=True)
    assert "reply-form" not in page
    index = client.get(f"/groups/{team.group}/discussions").get_data(as_text=True)
    assert "New thread" not in index
    assert client.get(f"/groups/{team.group}/discussions/new").status_code == 403


def test_refused_reply_page_says_why_and_keeps_the_text(client, team, login):
    tid = new_thread(client, team)
    login(client, team.member)
    thread_url = f"/threads/{tid}"
    empty = post_form(client, thread_url + "/posts", {"body": "   "}, page=thread_url)
    assert empty.status_code == 400
    assert '<div class="error">This field is required.</div>' in empty.get_data(as_text=True)

    too_long = "<b>Our screening notes</b> " + "x" * MAX_SOURCE_CHARS
    refused = post_form(client, thread_url + "/posts", {"body": too_long}, page=thread_url)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert f"longer than {MAX_SOURCE_CHARS} characters" in page
    # The typed text comes back, escaped, for the author to shorten: nothing typed is lost.
    assert "&lt;b&gt;Our screening notes&lt;/b&gt; xxx" in page
    assert "<b>Our screening notes</b>" not in page
    posts = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()["posts"]
    assert len(posts) == 1


def test_edit_page_shows_the_source_and_saves_a_new_version(app, client, team, login):
    tid = new_thread(client, team, body="We screen with <VERA-2R> & **structured** interviews")
    pid = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()["posts"][0][
        "id"
    ]
    login(client, team.member)
    form = client.get(f"/posts/{pid}/edit").get_data(as_text=True)
    # The Markdown source, escaped inside the textarea: never live markup.
    assert "&lt;VERA-2R&gt; &amp; **structured** interviews</textarea>" in form
    saved = post_form(client, f"/posts/{pid}/edit", {"body": "Now with *VERA-2R* only"})
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Now with <em>VERA-2R</em> only" in page and ">edited<" in page

    coordinator = app.test_client()
    login(coordinator, team.coordinator)
    assert coordinator.get(f"/posts/{pid}/edit").status_code == 403
