"""Separation of duties: a platform admin joins a group only when a coordinator adds or
approves them; the admin role never seats its holder (page and API)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import bearer
from tests.groups.test_group_workflows import membership_id, role_of
from tests.support.web import post_form


@pytest.fixture
def amber_group(app, make_user, make_group, token_for):
    """A group with an AMBER+STRICT thread, its coordinator and a platform admin (not a member)."""
    coordinator, admin = make_user(), make_user(admin=True)
    gid = make_group("Returnees casework", members={coordinator: "coordinator"})
    made = app.test_client().post(
        f"/api/v1/groups/{gid}/threads",
        headers=bearer(token_for(coordinator)),
        json={"title": "Case list", "body": "Names of returnees", "tlp": "TLP:AMBER+STRICT"},
    )
    assert made.status_code == 201
    return gid, made.get_json()["id"], coordinator, admin


def reads_thread(app, token: str, thread_id: int) -> bool:
    answer = app.test_client().get(f"/api/v1/threads/{thread_id}", headers=bearer(token))
    assert answer.status_code in (200, 403, 404)
    return answer.status_code == 200


def test_an_admin_cannot_add_themselves_by_page_or_api(
    app, amber_group, login, token_for, make_user
):
    gid, thread_id, _coordinator, admin = amber_group
    token = token_for(admin)
    browser = app.test_client()
    login(browser, admin)
    page = f"/groups/{gid}"
    refused = post_form(
        browser, f"{page}/members", {"email": admin.email, "role": "coordinator"}, page=page
    )
    assert refused.status_code == 403
    assert "coordinators adds them" in refused.get_data(as_text=True)
    api = app.test_client().post(
        f"/api/v1/groups/{gid}/members",
        headers=bearer(token),
        json={"email": admin.email, "role": "member"},
    )
    assert api.status_code == 403
    assert role_of(app, gid, admin) is None
    assert not reads_thread(app, token, thread_id)
    # Seating someone else is still an admin's duty.
    other = make_user()
    added = post_form(
        browser, f"{page}/members", {"email": other.email, "role": "member"}, page=page
    )
    assert added.status_code == 302 and role_of(app, gid, other) == "member"


def test_an_admin_cannot_approve_their_own_join_request(app, amber_group, login, token_for):
    gid, thread_id, coordinator, admin = amber_group
    token = token_for(admin)
    asked = app.test_client().post(
        f"/api/v1/groups/{gid}/join-requests",
        headers=bearer(token),
        json={"motivation": "I administer the platform and want to read this."},
    )
    assert asked.status_code == 201
    request_id = asked.get_json()["id"]
    own = app.test_client()
    login(own, admin)
    page = own.get(f"/groups/{gid}").get_data(as_text=True)
    assert f"/join-requests/{request_id}/approve" not in page
    by_page = post_form(own, f"/join-requests/{request_id}/approve", {}, page=f"/groups/{gid}")
    assert by_page.status_code == 403
    by_api = app.test_client().post(
        f"/api/v1/join-requests/{request_id}/approve", headers=bearer(token)
    )
    assert by_api.status_code == 403
    assert role_of(app, gid, admin) is None
    assert not reads_thread(app, token, thread_id)
    # The coordinator approves: from that moment the admin reads, as any member would.
    boss = app.test_client()
    login(boss, coordinator)
    assert f"/join-requests/{request_id}/approve" in boss.get(f"/groups/{gid}").get_data(
        as_text=True
    )
    approved = post_form(boss, f"/join-requests/{request_id}/approve", {}, page=f"/groups/{gid}")
    assert approved.status_code == 302
    assert role_of(app, gid, admin) == "member"
    assert reads_thread(app, token, thread_id)


def test_an_admin_seated_as_observer_cannot_promote_themselves(app, amber_group, login, make_user):
    gid, _thread_id, coordinator, admin = amber_group
    boss = app.test_client()
    login(boss, coordinator)
    page = f"/groups/{gid}"
    post_form(boss, f"{page}/members", {"email": admin.email, "role": "observer"}, page=page)
    assert role_of(app, gid, admin) == "observer"
    own = app.test_client()
    login(own, admin)
    mid = membership_id(app, gid, admin)
    refused = post_form(own, f"{page}/members/{mid}/role", {"role": "coordinator"}, page=page)
    assert refused.status_code == 403
    assert role_of(app, gid, admin) == "observer"
    # The coordinator may promote them.
    post_form(boss, f"{page}/members/{mid}/role", {"role": "coordinator"}, page=page)
    assert role_of(app, gid, admin) == "coordinator"


def test_the_operator_cli_still_seats_anyone_and_is_audited(app, runner, make_user, make_group):
    """The CLI runs on the server with its master key: an operator tool, not an admin right."""
    admin = make_user(admin=True)
    gid = make_group()
    result = runner.invoke(
        args=[
            "emisa",
            "add-member",
            "--group",
            str(gid),
            "--email",
            admin.email,
            "--role",
            "member",
        ]
    )
    assert result.exit_code == 0, result.output
    assert role_of(app, gid, admin) == "member"
    from emisa.audit.models import AuditEntry
    from emisa.extensions import db

    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="membership.added").one()
        assert entry.actor_id is None and re.search(r'"via": ?"operator"', entry.details)
