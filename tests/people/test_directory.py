"""The directory finds only what each profile lets the viewer see, and never a membership
of a group the viewer cannot see."""

from __future__ import annotations

import pytest

OPEN = {"visibility": {"profile": "platform", "name": "platform"}}


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return {entry["id"] for entry in response.get_json()}


def test_search_never_returns_a_hidden_member(world, api):
    # Alice keeps the defaults (co-members); Bob shares a group with her, Olga does not.
    assert world.alice.id in _ids(api(world.bob)("GET", "/api/v1/people?q=Dubois"))
    for url in ("/api/v1/people?q=Dubois", "/api/v1/people?country=BE", "/api/v1/people"):
        assert world.alice.id not in _ids(api(world.olga)("GET", url))
    assert world.alice.id not in _ids(api(world.tom)("GET", "/api/v1/people?q=Alice"))


def test_a_filter_is_no_oracle_for_a_hidden_field(world, api):
    """A visible profile is not found through the value of a field hidden from the viewer."""
    api(world.alice)(
        "PUT",
        "/api/v1/me/profile",
        json={
            "agency_type": "prosecution",
            "languages": ["ar"],
            "expertise": ["Returnees"],
            "visibility": {
                "profile": "platform",
                "name": "platform",
                "agency_type": "co-members",
                "languages": "nobody",
                "expertise": "co-members",
                "country": "co-members",
            },
        },
    )
    olga = api(world.olga)
    assert world.alice.id in _ids(olga("GET", "/api/v1/people?q=Alice"))
    for query in ("agency_type=prosecution", "language=ar", "expertise=Returnees", "country=BE"):
        assert world.alice.id not in _ids(olga("GET", f"/api/v1/people?{query}")), query
    bob = api(world.bob)
    assert world.alice.id in _ids(bob("GET", "/api/v1/people?agency_type=prosecution"))
    assert world.alice.id in _ids(bob("GET", "/api/v1/people?expertise=Returnees"))
    assert world.alice.id not in _ids(bob("GET", "/api/v1/people?language=ar"))


def test_group_filter_of_a_group_the_viewer_cannot_list(world, api):
    closed = world.closed_group
    # Tom (TN) is still seated, but the group is closed to his country: it does not exist.
    assert api(world.tom)("GET", f"/api/v1/people?group_id={closed}").status_code == 404
    assert api(world.olga)("GET", f"/api/v1/people?group_id={closed}").status_code == 404
    # The partner (BE) sees the group exists but is not a member: its roster is not hers.
    assert api(world.pat)("GET", f"/api/v1/people?group_id={closed}").status_code == 403
    response = api(world.alice)("GET", f"/api/v1/people?group_id={closed}")
    assert world.alice.id in _ids(response)
    # Nor does Tom's directory show him as Alice's co-member through the closed group.
    assert world.alice.id not in _ids(api(world.tom)("GET", "/api/v1/people"))


def test_html_directory_hides_and_pages(world, client, login, api, app):
    api(world.bob)("PUT", "/api/v1/me/profile", json=OPEN)
    login(client, world.olga)
    page = client.get("/people").get_data(as_text=True)
    assert "Bob Peeters" in page
    assert "Alice Dubois" not in page
    assert client.get(f"/people?group_id={world.closed_group}").status_code == 404
    assert client.get("/people?country=ZZ").status_code == 400
    assert client.get("/people?page=9").status_code == 404


def test_pager(app, make_user, client, login):
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.people.operations import PER_PAGE, update_profile

    viewer = make_user(name="Zed Viewer")
    people = [make_user(name=f"Member {n:02d}") for n in range(PER_PAGE + 2)]
    with app.app_context():
        from emisa.accounts.models import User

        for persona in people:
            update_profile(db.session.get(User, persona.id), OPEN)
        commit()
    login(client, viewer)
    first = client.get("/people").get_data(as_text=True)
    assert "Member 00" in first and f"Member {PER_PAGE + 1:02d}" not in first
    assert 'rel="next"' in first
    second = client.get("/people?page=2").get_data(as_text=True)
    assert f"Member {PER_PAGE + 1:02d}" in second


@pytest.mark.parametrize("viewer_name", ["alice", "bob", "pat", "olga", "tom", "adam"])
def test_sql_twin_agrees_with_the_rule(world, api, app, viewer_name):
    """For every persona, the directory's SQL selects exactly the profiles ``can`` allows."""
    from sqlalchemy import select

    from emisa.access import can
    from emisa.access.people import ProfileField
    from emisa.access.visibility import FIELDS
    from emisa.accounts.models import User
    from emisa.extensions import db
    from emisa.people.operations import DirectoryFilter, directory_statement, profile_of

    details = {"agency_type": "police", "languages": ["fr"], "expertise": ["Returnees"]}
    api(world.alice)(
        "PUT",
        "/api/v1/me/profile",
        json={**details, "visibility": {"profile": "platform", "languages": "platform"}},
    )
    api(world.bob)(
        "PUT",
        "/api/v1/me/profile",
        json={**details, "visibility": {"profile": "platform", "expertise": "nobody"}},
    )
    api(world.pat)("PUT", "/api/v1/me/profile", json={"visibility": {"profile": "nobody"}})
    api(world.tom)(
        "PUT",
        "/api/v1/me/profile",
        json={"visibility": {"profile": "platform", "name": "platform", "country": "platform"}},
    )
    viewer_persona = getattr(world, viewer_name)
    with app.test_request_context():
        viewer = db.session.get(User, viewer_persona.id)
        viewer.api_token = object()  # as if signed in with a token
        everyone = db.session.scalars(select(User)).all()
        by_rule = {u.id for u in everyone if can(viewer, "view", profile_of(u))}
        rows = db.session.execute(directory_statement(viewer, DirectoryFilter())).all()
        assert {user.id for user, _profile in rows} == by_rule
        # Field by field, through the filters that read each field.
        for user in everyone:
            profile = profile_of(user)
            if user.id not in by_rule:
                continue
            for field in FIELDS:
                allowed = bool(can(viewer, "view", ProfileField(profile, field)))
                wanted = {
                    "country": DirectoryFilter(country=user.country),
                    "name": DirectoryFilter(q=user.name),
                    "agency_type": DirectoryFilter(agency_type=profile.agency_type or ""),
                    "languages": DirectoryFilter(language="fr"),
                    "expertise": DirectoryFilter(expertise="Returnees"),
                }.get(field)
                if wanted is None:
                    continue
                if field in ("agency_type", "languages", "expertise") and not profile.agency_type:
                    continue  # nothing stored to match
                found = directory_statement(viewer, wanted)
                ids = {u.id for u, _p in db.session.execute(found).all()}
                assert (user.id in ids) == allowed, (user.name, field)


def test_profile_page_names_only_shared_groups_the_viewer_sees(world, api, client, login, app):
    from emisa.extensions import db
    from emisa.groups.models import WorkingGroup

    with app.app_context():
        closed_name = db.session.get(WorkingGroup, world.closed_group).name
        open_name = db.session.get(WorkingGroup, world.open_group).name
    api(world.alice)("PUT", "/api/v1/me/profile", json=OPEN)
    login(client, world.tom)
    page = client.get(f"/people/{world.alice.id}").get_data(as_text=True)
    assert "Alice Dubois" in page
    assert closed_name not in page and "Groups you share" not in page
    bob = app.test_client()
    login(bob, world.bob)
    page = bob.get(f"/people/{world.alice.id}").get_data(as_text=True)
    assert "Groups you share" in page and open_name in page and closed_name not in page


def test_hidden_names_do_not_sort_by_name(app, make_user, api):
    """A visible profile with a hidden name is listed after the named ones, in id order."""
    viewer = make_user(name="Viewer")
    zed = make_user(name="Zed Hidden")
    aaron = make_user(name="Aaron Hidden")
    bea = make_user(name="Bea Shown")
    for persona, name_level in ((zed, "nobody"), (aaron, "nobody"), (bea, "platform")):
        api(persona)(
            "PUT",
            "/api/v1/me/profile",
            json={"visibility": {"profile": "platform", "name": name_level}},
        )
    listed = api(viewer)("GET", "/api/v1/people").get_json()
    others = [entry for entry in listed if entry["id"] != viewer.id]
    assert [entry["id"] for entry in others] == [bea.id, zed.id, aaron.id]
    assert [entry["name"] for entry in others] == ["Bea Shown", None, None]
