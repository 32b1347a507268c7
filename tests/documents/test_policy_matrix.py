"""Every TLP label x persona x releasable-to, generated from one table, through the real API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from emisa.audit.models import AuditEntry
from emisa.extensions import db
from tests.conftest import bearer

LABELS = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
PERSONAS = [
    "non_member",
    "wrong_country",
    "partner",
    "observer",
    "member",
    "coordinator",
    "red_recipient",
    "admin_non_member",
]
RELEASABLE = [None, "BE,FR"]


def expected(label: str, persona: str, releasable: str | None) -> int:
    """The table of DESIGN.md section 2, written once: 200 readable, 404 hidden."""
    if releasable and persona == "wrong_country":
        return 404
    library = label in ("TLP:CLEAR", "TLP:GREEN")
    if persona == "partner":
        return 200 if library else 404
    if library:
        return 200
    if persona in ("non_member", "admin_non_member"):
        return 404
    if label == "TLP:RED":
        return 200 if persona == "red_recipient" else 404
    return 200


@pytest.fixture
def world(app, make_user, make_group, token_for, upload):
    people = {
        "author": make_user("author@police.example", country="BE"),
        "non_member": make_user("outsider@police.example", country="BE"),
        "wrong_country": make_user("de@police.example", country="DE"),
        "partner": make_user("ngo@partner.example", country="BE", kind="partner"),
        "observer": make_user("observer@police.example", country="FR"),
        "member": make_user("member@police.example", country="FR"),
        "coordinator": make_user("coordinator@police.example", country="BE"),
        "red_recipient": make_user("recipient@police.example", country="BE"),
        "admin_non_member": make_user("admin@platform.example", country="BE", admin=True),
    }
    roles = {
        "author": "member",
        "wrong_country": "member",
        "partner": "member",
        "observer": "observer",
        "member": "member",
        "coordinator": "coordinator",
        "red_recipient": "member",
    }
    group = make_group(members={people[name]: role for name, role in roles.items()})
    tokens = {name: token_for(persona) for name, persona in people.items()}
    documents = {}
    for label in LABELS:
        for releasable in RELEASABLE:
            fields = {"tlp": label, "title": f"{label} {releasable}"}
            if releasable:
                fields["releasable_to"] = releasable
            if label == "TLP:RED":
                fields["recipients"] = people["red_recipient"].email
            response = upload(tokens["author"], group, b"matrix", **fields)
            assert response.status_code == 201, response.get_json()
            documents[label, releasable] = response.get_json()["id"]
    return people, tokens, documents


def test_document_policy_matrix(app, client, world):
    _people, tokens, documents = world
    mismatches = []
    for (label, releasable), document_id in documents.items():
        for persona in PERSONAS:
            want = expected(label, persona, releasable)
            for path in (f"/documents/{document_id}", f"/documents/{document_id}/content"):
                got = client.get(f"/api/v1{path}", headers=bearer(tokens[persona])).status_code
                if got != want:
                    mismatches.append((label, releasable, persona, path, got, want))
    assert mismatches == []


def test_denied_reads_are_audited(app, client, world):
    _people, tokens, documents = world
    document_id = documents["TLP:RED", None]
    assert (
        client.get(
            f"/api/v1/documents/{document_id}/content", headers=bearer(tokens["coordinator"])
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/documents/{document_id}/content", headers=bearer(tokens["red_recipient"])
        ).status_code
        == 200
    )
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_id == str(document_id))
        ).all()
    actions = [(r.action, r.actor_email, r.outcome) for r in rows]
    assert ("access.denied", "coordinator@police.example", "denied") in actions
    assert ("document.downloaded", "recipient@police.example", "ok") in actions


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tlp": "TLP:PURPLE"}, "is not a TLP label"),
        ({"tlp": "amber"}, "is not a TLP label"),
        ({"tlp": "TLP:AMBER", "releasable_to": "BE,XX"}, "'XX' is not an ISO 3166-1"),
        ({"tlp": "TLP:AMBER", "releasable_to": "DE"}, "must include your own country"),
        ({"tlp": "TLP:AMBER", "handling_code": "H7"}, "is not a handling code"),
        ({"tlp": "TLP:AMBER", "handling_code": "H3"}, "H3 needs the conditions"),
        ({"tlp": "TLP:RED", "recipients": "nobody@x.example"}, "is not a member"),
        ({"tlp": "TLP:AMBER", "title": ""}, "title"),
    ],
)
def test_invalid_markings_are_refused_with_a_clear_message(team, upload, app, fields, message):
    response = upload(team.coordinator_token, team.group, b"data", **fields)
    assert response.status_code == 400
    body = response.get_json()["error"]
    assert body["code"] == "invalid_input"
    assert message in body["message"]
    assert not [p for p in (app.config["EMISA_DATA_DIR"] / "blobs").rglob("*") if p.is_file()]


def test_observer_and_outsider_cannot_upload(team, make_user, token_for, upload, make_group):
    observer = make_user(country="BE")
    outsider = make_user(country="BE")
    group = make_group(members={observer: "observer"})
    assert upload(token_for(observer), group, b"x").status_code == 403
    assert upload(token_for(outsider), group, b"x").status_code == 403


def test_partner_uploads_only_green_or_clear(make_user, make_group, token_for, upload):
    partner = make_user(country="BE", kind="partner")
    group = make_group(members={partner: "member"})
    token = token_for(partner)
    assert upload(token, group, b"x", tlp="TLP:AMBER").status_code == 400
    assert upload(token, group, b"x", tlp="TLP:GREEN").status_code == 201


def test_delete_is_for_uploader_or_coordinator(team, make_user, token_for, upload, client, app):
    other = make_user(country="BE")
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.groups.models import WorkingGroup
    from emisa.groups.operations import add_member

    with app.app_context():
        add_member(
            db.session.get(WorkingGroup, team.group), db.session.get(User, other.id), "member", None
        )
        commit()
    doc = upload(team.member_token, team.group, b"secret bytes").get_json()
    path = f"/api/v1/documents/{doc['id']}"
    assert client.delete(path, headers=bearer(token_for(other))).status_code == 403
    blobs_before = list((app.config["EMISA_DATA_DIR"] / "blobs").rglob("*"))
    assert any(p.is_file() for p in blobs_before)
    assert client.delete(path, headers=bearer(team.coordinator_token)).status_code == 204
    assert client.get(path, headers=bearer(team.member_token)).status_code == 404
    assert not [p for p in (app.config["EMISA_DATA_DIR"] / "blobs").rglob("*") if p.is_file()]
