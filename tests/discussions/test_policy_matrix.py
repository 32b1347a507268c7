"""The access policy extended to threads and posts: one table of personas x actions."""

from __future__ import annotations

import re

import pytest

from tests.discussions.support import add_members, api_token, new_thread, reply

# persona -> (read AMBER, read GREEN, reply, moderate, edit member's post, hide, history)
MATRIX = {
    "coordinator": (200, 200, 201, 200, 403, 200, 200),
    "member": (200, 200, 201, 403, 200, 403, 200),
    "observer": (200, 200, 403, 403, 403, 403, 403),
    "outsider": (404, 200, 404, 404, 404, 404, 404),
    "admin": (404, 200, 404, 404, 404, 404, 404),
    "partner": (404, 200, 404, 404, 404, 404, 404),
    "foreign": (404, 404, 404, 404, 404, 404, 404),
}


@pytest.fixture
def world(app, client, team, make_user):
    admin = make_user(name="Admin Ada", admin=True)
    partner = make_user(name="Partner Pia", kind="partner")
    foreign = make_user(name="Foreign Fay", country="JO")
    add_members(app, team.group, [(partner, "member")])
    # foreign is a member of the group but the thread is not releasable to Jordan
    add_members(app, team.group, [(foreign, "member")])
    tokens = {
        "admin": api_token(app, admin),
        "partner": api_token(app, partner),
        "foreign": api_token(app, foreign),
    }
    for name in ("coordinator", "member", "observer", "outsider"):
        tokens[name] = team.tokens[getattr(team, name).email]
    countries = ["FR", "TN", "BE", "DE"]
    amber = new_thread(client, team, title="Amber", releasable_to=countries)
    green = new_thread(client, team, title="Green", tlp="TLP:GREEN", releasable_to=countries)
    # An edited post of the member, so that its history exists.
    pid = client.get(f"/api/v1/threads/{amber}", headers=team.h(team.member)).get_json()["posts"][
        0
    ]["id"]
    client.patch(f"/api/v1/posts/{pid}", json={"body": "edited"}, headers=team.h(team.member))
    return tokens, amber, green, pid


@pytest.mark.parametrize("persona", list(MATRIX))
def test_thread_and_post_matrix(client, team, world, persona):
    tokens, amber, green, pid = world
    h = {"Authorization": f"Bearer {tokens[persona]}"}
    got = (
        client.get(f"/api/v1/threads/{amber}", headers=h).status_code,
        client.get(f"/api/v1/threads/{green}", headers=h).status_code,
        client.post(f"/api/v1/threads/{amber}/posts", json={"body": "x"}, headers=h).status_code,
        client.patch(f"/api/v1/threads/{amber}", json={"pinned": True}, headers=h).status_code,
        client.patch(f"/api/v1/posts/{pid}", json={"body": f"by {persona}"}, headers=h).status_code,
        client.post(
            f"/api/v1/posts/{pid}/hide", json={"reason": "test hide"}, headers=h
        ).status_code,
        client.get(f"/api/v1/posts/{pid}/history", headers=h).status_code,
    )
    assert got == MATRIX[persona]


def test_pages_follow_the_same_rules(client, team, login):
    tid = new_thread(client, team)
    login(client, team.outsider)
    for url in (
        f"/threads/{tid}",
        f"/groups/{team.group}/discussions",
        f"/groups/{team.group}/discussions/members.json",
        "/posts/1",
        "/posts/1/history",
    ):
        assert client.get(url).status_code in (403, 404), url
    assert client.get(f"/threads/{tid}").status_code == 404


def test_move_thread_only_where_the_marking_allows(app, client, team, make_group, login):
    target = make_group("Judicial cooperation test")
    add_members(app, target, [(team.coordinator, "coordinator")])
    amber = new_thread(client, team, title="Movable", body="Moving body words")
    pid = reply(client, team, amber, "a reply to move").get_json()["id"]
    strict = new_thread(client, team, title="Strict", tlp="TLP:AMBER+STRICT")
    login(client, team.coordinator)
    from tests.support.web import post_form

    refused = post_form(
        client, f"/threads/{strict}/move", {"target": target}, page=f"/threads/{strict}/move"
    )
    assert refused.status_code == 400  # no such choice: the marking forbids every move
    moved = post_form(
        client, f"/threads/{amber}/move", {"target": target}, page=f"/threads/{amber}/move"
    )
    assert moved.status_code == 302
    data = client.get(f"/api/v1/threads/{amber}", headers=team.h(team.coordinator)).get_json()
    assert (
        data["group_id"] == target and data["posts"][1]["body_html"] == "<p>a reply to move</p>\n"
    )
    # The member of the old group lost access; search follows the thread to its new group.
    assert client.get(f"/api/v1/threads/{amber}", headers=team.h(team.member)).status_code == 404
    hits = client.get(
        "/api/v1/search", query_string={"q": "reply move"}, headers=team.h(team.coordinator)
    ).get_json()
    assert [(h["kind"], h["id"], h["group_id"]) for h in hits] == [("post", pid, target)]
    assert (
        client.get(
            "/api/v1/search", query_string={"q": "reply move"}, headers=team.h(team.member)
        ).get_json()
        == []
    )
    # The member cannot move anything.
    member_client = app.test_client()
    login(member_client, team.member)
    assert member_client.get(f"/threads/{strict}/move").status_code == 403


def test_each_post_s_buttons_on_the_thread_page_are_what_the_server_grants(
    app, client, team, login
):
    """The thread page decides each post's buttons from light rows, the post's own pages from
    the post: both ask the policy's post rules (``PostRights``), so a button shown leads to a
    page served and a button left out to a refusal, for the author, a coordinator and an
    observer, on posts edited, hidden and deleted."""
    tid = new_thread(client, team)
    opening = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()
    first = opening["posts"][0]["id"]
    edited, hidden, deleted = (
        reply(client, team, tid, f"Reply {n}").get_json()["id"] for n in range(3)
    )
    chair_post = reply(client, team, tid, "From the chair", by=team.coordinator).get_json()["id"]
    for post_id, author in (
        (edited, team.member),
        (hidden, team.member),
        (deleted, team.member),
        (chair_post, team.coordinator),
    ):
        changed = client.patch(
            f"/api/v1/posts/{post_id}", json={"body": "Edited"}, headers=team.h(author)
        )
        assert changed.status_code == 200
    hide = client.post(
        f"/api/v1/posts/{hidden}/hide",
        json={"reason": "Off topic"},
        headers=team.h(team.coordinator),
    )
    assert hide.status_code == 200
    assert client.delete(f"/api/v1/posts/{deleted}", headers=team.h(team.member)).status_code == 204

    granted = {}
    for persona in (team.member, team.coordinator, team.observer):
        viewer = app.test_client()
        login(viewer, persona)
        page = viewer.get(f"/threads/{tid}").get_data(as_text=True)
        for post_id in (first, edited, hidden, deleted, chair_post):
            article = re.search(rf'id="post-{post_id}".*?</article>', page, re.DOTALL)[0]
            actions = ("edit", "history") if post_id != first else ("edit",)
            for action in actions:
                shown = f'href="/posts/{post_id}/{action}"' in article
                served = viewer.get(f"/posts/{post_id}/{action}").status_code == 200
                assert shown == served, (persona.name, post_id, action)
                granted[persona.name, post_id, action] = shown
    # The cases that matter are all there: the author edits only his live posts, the
    # coordinator reads every history but the deleted post's, the observer neither.
    member, chair, observer = team.member.name, team.coordinator.name, team.observer.name
    assert granted[member, edited, "edit"] and granted[member, hidden, "history"]
    assert not granted[member, deleted, "edit"] and not granted[member, chair_post, "edit"]
    assert granted[chair, hidden, "history"] and granted[chair, chair_post, "edit"]
    assert not granted[chair, deleted, "history"] and not granted[chair, edited, "edit"]
    assert not any(shown for (name, _post, _action), shown in granted.items() if name == observer)
