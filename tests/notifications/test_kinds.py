"""Each kind of notice reaches whom it concerns, and only those the policy lets read the item."""

from __future__ import annotations

import io
from datetime import timedelta

from tests.notifications.test_notifications import notices


def kinds(app, persona) -> list[tuple[str, str]]:
    return [(kind, text) for kind, _p, _c, _l, text in notices(app, persona)]


def test_join_requests_reach_the_coordinators_and_decisions_the_requester(client, team, app, smtp):
    asked = client.post(
        f"/api/v1/groups/{team.group}/join-requests",
        json={"motivation": "SECRET-MOTIVATION: I handle returnee cases"},
        headers=team.h(team.outsider),
    )
    assert asked.status_code == 201, asked.get_json()
    assert kinds(app, team.coordinator) == [
        ("join_request", "Outsider Otto asked to join Prison and probation test.")
    ]
    assert kinds(app, team.member) == [] and kinds(app, team.observer) == []
    assert "SECRET" not in repr(notices(app, team.coordinator))
    rejected = client.post(
        f"/api/v1/join-requests/{asked.get_json()['id']}/reject",
        json={"reason": "SECRET-REASON"},
        headers=team.h(team.coordinator),
    )
    assert rejected.status_code == 200
    assert kinds(app, team.outsider) == [
        ("join_decision", "Your request to join Prison and probation test was declined.")
    ]
    # Decisions are mailed at once by default; the reason stays on the group's page.
    [mail] = smtp.to(team.outsider.email)
    assert "declined" in mail.get_content() and "SECRET" not in mail.as_string()
    again = client.post(
        f"/api/v1/groups/{team.group}/join-requests",
        json={"motivation": "Second try, with more detail"},
        headers=team.h(team.outsider),
    )
    assert [c for _k, _p, c, _l, _t in notices(app, team.coordinator)] == [2]  # grouped
    client.post(
        f"/api/v1/join-requests/{again.get_json()['id']}/approve", headers=team.h(team.coordinator)
    )
    assert kinds(app, team.outsider)[-1] == (
        "join_decision",
        "Your request to join Prison and probation test was approved.",
    )
    assert [k for k, _t in kinds(app, team.outsider)].count("member_added") == 0


def test_a_member_added_hears_of_it(client, team, app, make_user):
    newcomer = make_user(name="Nadia Newcomer", country="MA")
    response = client.post(
        f"/api/v1/groups/{team.group}/members",
        json={"email": newcomer.email, "role": "member"},
        headers=team.h(team.coordinator),
    )
    assert response.status_code == 201, response.get_json()
    assert kinds(app, newcomer) == [
        ("member_added", "Coordinator Colette added you to Prison and probation test.")
    ]


def _meeting(client, team, **extra):
    from emisa.timeutil import utcnow

    start = utcnow() + timedelta(days=1)
    body = {
        "title": "SECRET-MEETING",
        "starts_at": start.isoformat() + "Z",
        "ends_at": (start + timedelta(hours=1)).isoformat() + "Z",
        "agenda": ["One"],
        "tlp": "TLP:AMBER",
        **extra,
    }
    return client.post(
        f"/api/v1/groups/{team.group}/meetings", json=body, headers=team.h(team.coordinator)
    )


def test_meeting_invitations_changes_and_cancellations(client, team, app):
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.meetings import operations
    from emisa.meetings.models import Meeting

    response = _meeting(client, team)
    assert response.status_code == 201, response.get_json()
    mid = response.get_json()["id"]
    for persona in (team.member, team.observer):
        [(kind, text)] = kinds(app, persona)
        assert kind == "meeting" and text.startswith(
            "You are invited to a TLP:AMBER meeting of Prison and probation test on "
        )
    assert kinds(app, team.outsider) == [] and kinds(app, team.coordinator) == []
    with app.app_context():
        meeting = db.session.get(Meeting, mid)
        operations.cancel_meeting(meeting, db.session.get(User, team.coordinator.id))
        commit()
    assert kinds(app, team.member)[-1][1].endswith("was cancelled.")
    assert "SECRET" not in repr(notices(app, team.member))


def test_a_red_meeting_invites_its_named_invitees_only(client, team, app):
    response = _meeting(client, team, tlp="TLP:RED", invitees=[team.member.id])
    assert response.status_code == 201, response.get_json()
    assert [k for k, _t in kinds(app, team.member)] == ["meeting"]
    assert kinds(app, team.observer) == []


def test_named_recipients_of_a_red_document_hear_of_it_and_nobody_else(client, team, app, smtp):
    response = client.post(
        f"/api/v1/groups/{team.group}/documents",
        data={
            "title": "SECRET-DOC",
            "tlp": "TLP:RED",
            "recipients": f"{team.member.id}",
            "file": (io.BytesIO(b"%PDF-1.4 red"), "red.pdf"),
        },
        headers=team.h(team.coordinator),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    assert kinds(app, team.member) == [
        (
            "red_share",
            "Coordinator Colette shared a TLP:RED document with you in Prison and probation test.",
        )
    ]
    assert kinds(app, team.observer) == [] and kinds(app, team.outsider) == []
    [mail] = smtp.to(team.member.email)  # RED shares are mailed at once by default
    assert "SECRET" not in mail.as_string()
    assert f"/documents/{response.get_json()['id']}" in mail.get_content()
    assert smtp.to(team.observer.email) == []


def test_a_member_removed_before_the_digest_is_not_mailed_that_they_were_added(
    client, team, app, make_user, smtp
):
    from sqlalchemy import select

    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import Membership
    from emisa.groups.operations import remove_member
    from emisa.notifications.operations import send_digests

    newcomer = make_user(name="Nadia Newcomer", country="MA")
    client.post(
        f"/api/v1/groups/{team.group}/members",
        json={"email": newcomer.email, "role": "member"},
        headers=team.h(team.coordinator),
    )
    with app.app_context():
        membership = db.session.scalar(select(Membership).where(Membership.user_id == newcomer.id))
        remove_member(membership, db.session.get(User, team.coordinator.id))
        commit()
        send_digests()
        commit()
    assert smtp.to(newcomer.email) == []
