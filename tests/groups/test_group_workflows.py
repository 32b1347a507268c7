"""Working groups in the browser: visibility by country, join requests, membership, admin."""

from __future__ import annotations

import re

import pytest

from emisa.extensions import db
from tests.support.web import post_form


@pytest.fixture
def signed_in(app, login):
    def sign_in(persona):
        client = app.test_client()
        login(client, persona)
        return client

    return sign_in


def membership_id(app, gid: int, persona) -> int:
    from emisa.groups.models import Membership

    with app.app_context():
        return db.session.query(Membership).filter_by(group_id=gid, user_id=persona.id).one().id


def role_of(app, gid: int, persona) -> str | None:
    from emisa.groups.models import Membership

    with app.app_context():
        row = db.session.query(Membership).filter_by(group_id=gid, user_id=persona.id).first()
        return row.role if row else None


def test_a_wrong_country_user_never_sees_the_group(
    app, make_user, make_group, signed_in, token_for
):
    french = make_user(country="FR")
    gid = make_group("Benelux only", countries=["BE", "NL", "LU"])
    client = signed_in(french)
    assert client.get(f"/groups/{gid}").status_code == 404
    assert "Benelux only" not in client.get("/groups").get_data(as_text=True)
    assert "Benelux only" not in client.get("/").get_data(as_text=True)
    token = token_for(french)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get(f"/api/v1/groups/{gid}", headers=headers).status_code == 404
    assert gid not in [g["id"] for g in api.get("/api/v1/groups", headers=headers).get_json()]
    # Asking to join is as invisible as the group.
    answer = api.post(
        f"/api/v1/groups/{gid}/join-requests",
        headers=headers,
        json={"motivation": "Please let me in, I work on this."},
    )
    assert answer.status_code == 404


def test_join_request_approved_and_the_requester_becomes_a_member(
    app, make_user, make_group, signed_in
):
    coordinator, requester = make_user(), make_user(name="Rita Requester")
    gid = make_group("Prison work", members={coordinator: "coordinator"})
    asker = signed_in(requester)
    too_short = post_form(
        asker, f"/groups/{gid}/join", {"motivation": "pls"}, page=f"/groups/{gid}"
    )
    assert too_short.status_code == 400
    sent = post_form(
        asker,
        f"/groups/{gid}/join",
        {"motivation": "I run the probation radicalisation unit."},
        page=f"/groups/{gid}",
    )
    assert sent.status_code == 302
    assert "waiting for a coordinator" in asker.get(f"/groups/{gid}").get_data(as_text=True)
    boss = signed_in(coordinator)
    page = boss.get(f"/groups/{gid}").get_data(as_text=True)
    assert "I run the probation radicalisation unit." in page
    request_id = re.search(r"/join-requests/(\d+)/approve", page).group(1)
    answer = post_form(boss, f"/join-requests/{request_id}/approve", {}, page=f"/groups/{gid}")
    assert answer.status_code == 302
    assert role_of(app, gid, requester) == "member"
    dashboard = asker.get("/").get_data(as_text=True)
    assert "approved" in dashboard
    assert "Your role</dt><dd>member" in asker.get(f"/groups/{gid}").get_data(as_text=True)


def test_join_request_rejected_with_a_reason_the_requester_reads(
    app, make_user, make_group, signed_in
):
    coordinator, requester = make_user(), make_user()
    gid = make_group(members={coordinator: "coordinator"})
    asker = signed_in(requester)
    post_form(
        asker,
        f"/groups/{gid}/join",
        {"motivation": "I would like to take part."},
        page=f"/groups/{gid}",
    )
    boss = signed_in(coordinator)
    request_id = re.search(
        r"/join-requests/(\d+)/reject", boss.get(f"/groups/{gid}").get_data(as_text=True)
    ).group(1)
    no_reason = post_form(
        boss, f"/join-requests/{request_id}/reject", {"reason": ""}, page=f"/groups/{gid}"
    )
    assert no_reason.status_code == 400
    post_form(
        boss,
        f"/join-requests/{request_id}/reject",
        {"reason": "Prosecutors only, sorry."},
        page=f"/groups/{gid}",
    )
    assert role_of(app, gid, requester) is None
    assert "Prosecutors only, sorry." in asker.get("/").get_data(as_text=True)
    assert "Prosecutors only, sorry." in asker.get(f"/groups/{gid}").get_data(as_text=True)


def test_invite_only_group_cannot_be_asked_to_join(app, make_user, make_group, signed_in):
    gid = make_group(join_policy="invite-only")
    client = signed_in(make_user())
    assert "invite-only" in client.get(f"/groups/{gid}").get_data(as_text=True)
    answer = post_form(
        client,
        f"/groups/{gid}/join",
        {"motivation": "Let me in please, thanks."},
        page=f"/groups/{gid}",
    )
    assert answer.status_code == 403


def test_coordinator_adds_changes_roles_and_removes_members(app, make_user, make_group, signed_in):
    coordinator, newcomer = make_user(), make_user()
    gid = make_group(members={coordinator: "coordinator"})
    boss = signed_in(coordinator)
    page = f"/groups/{gid}"
    unknown = post_form(
        boss, f"{page}/members", {"email": "ghost@agency.example", "role": "member"}, page=page
    )
    assert unknown.status_code == 404
    added = post_form(
        boss, f"{page}/members", {"email": newcomer.email, "role": "observer"}, page=page
    )
    assert added.status_code == 302
    assert role_of(app, gid, newcomer) == "observer"
    again = post_form(
        boss, f"{page}/members", {"email": newcomer.email, "role": "member"}, page=page
    )
    assert again.status_code == 409
    mid = membership_id(app, gid, newcomer)
    post_form(boss, f"{page}/members/{mid}/role", {"role": "coordinator"}, page=page)
    assert role_of(app, gid, newcomer) == "coordinator"
    post_form(boss, f"{page}/members/{mid}/remove", {}, page=page)
    assert role_of(app, gid, newcomer) is None


def test_a_member_leaves(app, make_user, make_group, signed_in):
    coordinator, member = make_user(), make_user()
    gid = make_group(members={coordinator: "coordinator", member: "member"})
    client = signed_in(member)
    assert post_form(client, f"/groups/{gid}/leave", {}, page=f"/groups/{gid}").status_code == 302
    assert role_of(app, gid, member) is None


def test_the_last_coordinator_can_be_neither_demoted_removed_nor_leave(
    app, make_user, make_group, signed_in
):
    coordinator, admin = make_user(), make_user(admin=True)
    gid = make_group(members={coordinator: "coordinator"})
    page = f"/groups/{gid}"
    mid = membership_id(app, gid, coordinator)
    boss = signed_in(coordinator)
    assert (
        post_form(boss, f"{page}/members/{mid}/role", {"role": "member"}, page=page).status_code
        == 409
    )
    assert post_form(boss, f"{page}/leave", {}, page=page).status_code == 409
    root = signed_in(admin)
    assert post_form(root, f"{page}/members/{mid}/remove", {}, page=page).status_code == 409
    assert role_of(app, gid, coordinator) == "coordinator"


def test_admin_creates_edits_and_deletes_a_group(app, make_user, signed_in):
    from emisa.groups.models import WorkingGroup

    root = signed_in(make_user(admin=True))
    created = post_form(
        root,
        "/groups/new",
        {
            "name": "Online propaganda 2",
            "mandate": "Take-downs",
            "allowed_countries": ["BE", "FR"],
            "join_policy": "invite-only",
        },
    )
    assert created.status_code == 302
    gid = int(created.headers["Location"].rsplit("/", 1)[1])
    duplicate = post_form(
        root, "/groups/new", {"name": "Online propaganda 2", "join_policy": "request"}
    )
    assert duplicate.status_code == 409
    edited = post_form(
        root,
        f"/groups/{gid}/edit",
        {
            "name": "Online propaganda II",
            "mandate": "",
            "allowed_countries": ["BE"],
            "join_policy": "request",
        },
    )
    assert edited.status_code == 302
    with app.app_context():
        group = db.session.get(WorkingGroup, gid)
        assert (group.name, group.allowed_countries, group.join_policy) == (
            "Online propaganda II",
            ["BE"],
            "request",
        )
    wrong_name = post_form(
        root, f"/groups/{gid}/delete", {"confirm_name": "nope"}, page=f"/groups/{gid}/edit"
    )
    assert wrong_name.status_code == 400
    deleted = post_form(
        root,
        f"/groups/{gid}/delete",
        {"confirm_name": "Online propaganda II"},
        page=f"/groups/{gid}/edit",
    )
    assert deleted.status_code == 302
    assert root.get(f"/groups/{gid}").status_code == 404


def test_admin_sees_members_but_not_content_unless_a_member(app, make_user, make_group):
    """``read_content`` is what every content feature asks; an admin is not a member."""
    from emisa.access import can
    from emisa.accounts.models import User
    from emisa.accounts.sessions import issue_token
    from emisa.groups.models import WorkingGroup
    from emisa.groups.operations import add_member

    admin = make_user(admin=True)
    gid = make_group()
    with app.test_request_context():
        user = db.session.get(User, admin.id)
        user.api_token, _ = issue_token(user)  # signed in, as the API would have it
        group = db.session.get(WorkingGroup, gid)
        assert can(user, "view", group)
        assert can(user, "manage_members", group)
        assert not can(user, "read_content", group)
        assert not can(user, "contribute", group)
        add_member(group, user, "observer", by=None)
        assert can(user, "read_content", group)
        assert not can(user, "contribute", group)
