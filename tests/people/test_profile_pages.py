"""The profile editor and the expertise vocabulary through the pages."""

from __future__ import annotations

from tests.support.web import post_form

FORM = {
    "name": "Bob Peeters",
    "organisation": "Federal Police",
    "position": "Analyst",
    "agency_type": "police",
    "expertise": "Returnees, returnees , Online propaganda",
    "bio": "",
    "phone": "",
    "secure_email": "",
    "other_contact": "",
    **{f"vis_{name}": "co-members" for name in ("profile", "name", "organisation", "country")},
    **{
        f"vis_{name}": "nobody"
        for name in (
            "position",
            "agency_type",
            "languages",
            "expertise",
            "bio",
            "photo",
            "phone",
            "secure_email",
            "other_contact",
        )
    },
}


def test_saving_the_profile_form(world, client, login, app):
    from emisa.accounts.models import User
    from emisa.extensions import db
    from emisa.people.operations import profile_of

    login(client, world.bob)
    response = post_form(client, "/profile", {**FORM, "languages": ["nl", "fr"]})
    assert response.status_code == 302
    with app.app_context():
        profile = profile_of(db.session.get(User, world.bob.id))
        assert profile.position == "Analyst"
        assert profile.languages == ["nl", "fr"]
        assert profile.expertise == ["Returnees", "Online propaganda"]
        assert profile.level("phone").word == "nobody"


def test_a_refused_form_keeps_what_was_stored(world, client, login, app):
    from emisa.accounts.models import User
    from emisa.extensions import db
    from emisa.people.operations import profile_of

    login(client, world.bob)
    assert post_form(client, "/profile", FORM).status_code == 302
    response = post_form(client, "/profile", {**FORM, "position": "Chief", "phone": "call me"})
    assert response.status_code == 400
    assert "A phone number has digits" in response.get_data(as_text=True)
    with app.app_context():
        assert profile_of(db.session.get(User, world.bob.id)).position == "Analyst"


def test_expertise_vocabulary_is_curated_by_coordinators_and_admins(world, client, login, app):
    # Bob is a plain member: refused.
    login(client, world.bob)
    assert client.get("/people/expertise").status_code == 403
    assert "Expertise vocabulary" not in client.get("/people").get_data(as_text=True)
    # Alice coordinates a group: she curates.
    other = app.test_client()
    login(other, world.alice)
    response = post_form(other, "/people/expertise", {"label": "Returnees"})
    assert response.status_code == 302
    assert post_form(other, "/people/expertise", {"label": "returnees"}).status_code == 409
    # A profile's tag takes the vocabulary's spelling.
    assert post_form(client, "/profile", {**FORM, "expertise": "RETURNEES"}).status_code == 302
    from emisa.accounts.models import User
    from emisa.extensions import db
    from emisa.people.operations import profile_of

    with app.app_context():
        assert profile_of(db.session.get(User, world.bob.id)).expertise == ["Returnees"]


def test_account_page_links_to_the_profile(world, client, login):
    login(client, world.bob)
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/profile"' in page
