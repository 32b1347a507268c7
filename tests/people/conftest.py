"""A small world of people: who shares which group with whom, and who may not see what."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import bearer


@dataclass
class World:
    alice: object  # the person whose profile is looked at (BE)
    bob: object  # shares an open group with alice
    pat: object  # a partner account in that open group
    olga: object  # a member of the platform who shares no group with alice
    tom: object  # shared a group with alice until it was closed to his country (TN)
    adam: object  # platform admin, in no group
    open_group: int
    closed_group: int


@pytest.fixture
def world(app, make_user, make_group):
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import WorkingGroup
    from emisa.groups.operations import update_group

    alice = make_user(name="Alice Dubois", country="BE", organisation="Parquet fédéral")
    bob = make_user(name="Bob Peeters", country="BE")
    pat = make_user(name="Pat Partner", country="BE", kind="partner", organisation="NGO")
    olga = make_user(name="Olga Schmidt", country="DE")
    tom = make_user(name="Tom Ben Salah", country="TN")
    adam = make_user(name="Adam Admin", country="BE", admin=True)
    open_group = make_group(members={alice: "member", bob: "member", pat: "member"})
    closed_group = make_group(members={alice: "coordinator", tom: "member"})
    with app.app_context():
        # Tom keeps his seat, but the group is no longer visible to him: its membership is
        # not his to know any more.
        group = db.session.get(WorkingGroup, closed_group)
        update_group(
            group,
            name=group.name,
            mandate=group.mandate,
            allowed_countries=["BE", "FR"],
            join_policy=group.join_policy,
            by=None,
        )
        commit()
    return World(alice, bob, pat, olga, tom, adam, open_group, closed_group)


@pytest.fixture
def api(app, token_for):
    """``api(persona)`` -> a client function ``(method, url, **kw)`` with that persona's token."""
    tokens: dict = {}

    def for_persona(persona):
        if persona.id not in tokens:
            tokens[persona.id] = token_for(persona)
        client = app.test_client()
        headers = bearer(tokens[persona.id])

        def call(method: str, url: str, **kwargs):
            return client.open(url, method=method, headers=headers, **kwargs)

        return call

    return for_persona
