"""Who sees which field of a profile: per field, per viewer, and at once after a change."""

from __future__ import annotations

ALICE_PROFILE = {
    "position": "Senior prosecutor",
    "agency_type": "prosecution",
    "languages": ["fr", "nl", "ar"],
    "expertise": ["Returnees", "Terrorism financing"],
    "bio": "Handles returnee cases; speaks at JP-COOPS meetings.",
    "phone": "+32 2 123 45 67",
    "secure_email": "alice@secure.example",
    "other_contact": "Signal on request",
    "visibility": {
        "profile": "platform",
        "name": "platform",
        "organisation": "co-members",
        "country": "co-members",
        "position": "co-members",
        "bio": "platform",
        "phone": "co-members",
        "secure_email": "nobody",
        "other_contact": "nobody",
    },
}


def _set(api, persona, body):
    response = api(persona)("PUT", "/api/v1/me/profile", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _seen(api, viewer, person):
    response = api(viewer)("GET", f"/api/v1/people/{person.id}")
    return response.status_code, response.get_json()


def test_defaults_are_private(world, api):
    """Untouched: name, organisation and country to co-members; contact details to nobody."""
    own = api(world.alice)("GET", "/api/v1/me/profile").get_json()
    assert own["visibility"]["name"] == "co-members"
    assert own["visibility"]["phone"] == "nobody"
    assert own["visibility"]["profile"] == "co-members"
    status, entry = _seen(api, world.bob, world.alice)
    assert status == 200 and entry["name"] == "Alice Dubois"
    assert _seen(api, world.olga, world.alice)[0] == 404


def test_each_viewer_sees_what_each_field_allows(world, api):
    _set(api, world.alice, ALICE_PROFILE)

    own = api(world.alice)("GET", "/api/v1/me/profile").get_json()
    assert own["secure_email"] == "alice@secure.example"
    assert own["other_contact"] == "Signal on request"

    # Co-member, and a partner who shares the same open group: co-member fields, no more.
    for viewer in (world.bob, world.pat):
        status, entry = _seen(api, viewer, world.alice)
        assert status == 200
        assert entry["name"] == "Alice Dubois"
        assert entry["organisation"] == "Parquet fédéral"
        assert entry["country"] == "BE"
        assert entry["phone"] == "+32 2 123 45 67"
        assert entry["position"] == "Senior prosecutor"
        assert "secure_email" not in entry and "other_contact" not in entry

    # Another member, and a member whose only shared group was closed to his country.
    for viewer in (world.olga, world.tom):
        status, entry = _seen(api, viewer, world.alice)
        assert status == 200
        assert entry["name"] == "Alice Dubois"
        assert entry["bio"].startswith("Handles returnee cases")
        assert entry["organisation"] is None and entry["country"] is None
        for hidden in ("phone", "position", "secure_email", "languages", "expertise"):
            assert hidden not in entry

    # The admin: the account data they manage anyway, otherwise what any other account sees.
    status, entry = _seen(api, world.adam, world.alice)
    assert status == 200
    assert (entry["name"], entry["organisation"], entry["country"]) == (
        "Alice Dubois",
        "Parquet fédéral",
        "BE",
    )
    assert "phone" not in entry and "position" not in entry and "secure_email" not in entry


def test_narrowed_field_is_hidden_at_the_next_page_and_api_call(world, api, client, login):
    _set(api, world.alice, ALICE_PROFILE)
    login(client, world.bob)
    page = client.get(f"/people/{world.alice.id}").get_data(as_text=True)
    assert "+32 2 123 45 67" in page
    assert _seen(api, world.bob, world.alice)[1]["phone"] == "+32 2 123 45 67"

    _set(api, world.alice, {"visibility": {"phone": "nobody"}})
    page = client.get(f"/people/{world.alice.id}").get_data(as_text=True)
    assert "+32 2 123 45 67" not in page
    assert "phone" not in _seen(api, world.bob, world.alice)[1]

    # The whole profile narrowed: a field open to the platform is hidden with it.
    assert _seen(api, world.olga, world.alice)[1]["bio"]
    _set(api, world.alice, {"visibility": {"profile": "co-members"}})
    assert _seen(api, world.olga, world.alice)[0] == 404
    listed = api(world.olga)("GET", "/api/v1/people?q=Alice").get_json()
    assert listed == []


def test_a_profile_hidden_from_everyone_is_found_by_its_owner_only(world, api):
    _set(api, world.alice, {"visibility": {"profile": "nobody"}})
    for viewer in (world.bob, world.pat, world.olga, world.tom):
        assert _seen(api, viewer, world.alice)[0] == 404
    assert _seen(api, world.alice, world.alice)[0] == 200


def test_invalid_input_is_refused_and_nothing_changes(world, api):
    _set(api, world.alice, {"position": "Prosecutor"})
    for body in (
        {"position": "Chief", "visibility": {"phone": "everyone"}},
        {"position": "Chief", "agency_type": "army"},
        {"position": "Chief", "languages": ["xx"]},
        {"position": "Chief", "secure_email": "not an address"},
        {"position": "Chief", "name": "\u202eloporue"},
        {"position": "Chief", "visibility": {"email": "platform"}},
    ):
        response = api(world.alice)("PUT", "/api/v1/me/profile", json=body)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["message"]
    assert api(world.alice)("GET", "/api/v1/me/profile").get_json()["position"] == "Prosecutor"


def test_names_and_organisations_in_any_script(world, api, client, login):
    _set(api, world.alice, {"name": "أليس دوبوا", "organisation": "النيابة العامة الفدرالية"})
    _status, entry = _seen(api, world.bob, world.alice)
    assert entry["name"] == "أليس دوبوا"
    login(client, world.bob)
    page = client.get("/people").get_data(as_text=True)
    assert "<bdi>أليس دوبوا</bdi>" in page


def test_only_the_person_edits_their_profile(world, client, login):
    login(client, world.bob)
    page = client.get("/profile").get_data(as_text=True)
    assert "Bob Peeters" in page and "Alice Dubois" not in page
