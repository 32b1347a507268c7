"""Directory and contact-point lookups are rate limited per account and audited."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EMISA_PEOPLE_LOOKUP_LIMIT": "4 per minute"}


def test_lookups_share_one_budget_and_answer_429_beyond_it(world, api, client, login):
    bob = api(world.bob)
    assert bob("GET", "/api/v1/people").status_code == 200
    assert bob("GET", f"/api/v1/people/{world.alice.id}").status_code == 200
    assert bob("GET", "/api/v1/contact-points").status_code == 200
    assert bob("GET", "/api/v1/people?q=a").status_code == 200
    refused = bob("GET", "/api/v1/people?q=b")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_attempts"
    assert bob("GET", f"/api/v1/people/{world.alice.id}/vcard").status_code == 429
    # Another account has its own budget, in the browser too.
    login(client, world.olga)
    for _ in range(4):
        assert client.get("/people").status_code == 200
    assert client.get("/people").status_code == 429


def test_a_refused_lookup_is_audited(world, api, app):
    from sqlalchemy import select

    from emisa.audit.models import AuditEntry
    from emisa.extensions import db

    bob = api(world.bob)
    for _ in range(5):
        bob("GET", "/api/v1/people")
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "people.lookup_limited")
        ).all()
        assert len(entries) == 1
        assert entries[0].actor_id == world.bob.id and entries[0].outcome == "denied"


def test_lookups_are_audited_without_search_words(world, api, app):
    from sqlalchemy import select

    from emisa.audit.models import AuditEntry
    from emisa.extensions import db

    bob = api(world.bob)
    bob("GET", "/api/v1/people?q=Dubois&country=BE")
    bob("GET", f"/api/v1/people/{world.alice.id}")
    bob("GET", "/api/v1/contact-points?country=TN")
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        actions = [entry.action for entry in entries if entry.actor_id == world.bob.id]
        assert actions[-3:] == ["people.searched", "people.profile_viewed", "contact_points.viewed"]
        searched = next(e for e in entries if e.action == "people.searched")
        assert "Dubois" not in str(searched.details)
