"""National contact points: who may designate, the map, the gap list and the API."""

from __future__ import annotations

import re

import pytest

from tests.support.web import post_form


@pytest.fixture
def network(app, runner, world, make_user):
    """JP-COOPS over Belgium, Tunisia and Morocco, created through the CLI, with a coordinator."""
    carla = make_user(name="Carla Coordinator", country="FR")
    result = runner.invoke(
        args=[
            "emisa",
            "create-network",
            "--name",
            "JP-COOPS",
            "--countries",
            "BE,TN,MA",
            "--coordinator",
            carla.email,
        ]
    )
    assert result.exit_code == 0, result.output
    return int(result.output.strip().splitlines()[-1]), carla


def _designate(api, persona, network_id, person, country, agency="probation"):
    return api(persona)(
        "POST",
        f"/api/v1/networks/{network_id}/contact-points",
        json={"user_id": person.id, "country": country, "agency_type": agency},
    )


def test_cli_refuses_bad_input(runner):
    result = runner.invoke(args=["emisa", "create-network", "--name", "X1", "--countries", "ZZ"])
    assert result.exit_code != 0
    assert "error:" in result.output


def test_cli_refusal_half_way_stores_nothing(app, runner, make_user):
    """The network is made, then its coordinator refused: the command leaves no network."""
    from sqlalchemy import select

    from emisa.extensions import db
    from emisa.people.models import Network

    away = make_user(name="Suspended Sam", state="suspended")
    args = ["emisa", "create-network", "--name", "HALF", "--coordinator", away.email]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: Suspended Sam cannot sign in at the moment.\n"
    with app.app_context():
        assert db.session.scalars(select(Network)).all() == []


def test_designation_rights(world, network, api):
    network_id, carla = network
    # A member (even a group coordinator) who does not coordinate the network is refused.
    for persona in (world.bob, world.alice):
        response = _designate(api, persona, network_id, world.tom, "TN")
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    # The network's coordinator may (Tom's profile is visible to her: he opened it).
    api(world.tom)("PUT", "/api/v1/me/profile", json={"visibility": {"profile": "platform"}})
    response = _designate(api, carla, network_id, world.tom, "TN")
    assert response.status_code == 201, response.get_json()
    point = response.get_json()
    assert point["country"] == "TN" and point["agency_type"] == "probation"
    # An admin may too; a contact point serves their own country only.
    response = _designate(api, world.adam, network_id, world.alice, "TN", "prosecution")
    assert response.status_code == 409
    response = _designate(api, world.adam, network_id, world.alice, "BE", "prosecution")
    assert response.status_code == 201
    # And the same designation twice is a conflict.
    assert (
        _designate(api, world.adam, network_id, world.alice, "BE", "prosecution").status_code == 409
    )
    # Removal: a member is refused, the coordinator removes it, and it is gone from the list.
    assert api(world.bob)("DELETE", f"/api/v1/contact-points/{point['id']}").status_code == 403
    assert api(carla)("DELETE", f"/api/v1/contact-points/{point['id']}").status_code == 204
    listed = api(world.bob)("GET", "/api/v1/contact-points?network=jp-coops&country=TN")
    assert listed.get_json() == []


def test_coordinator_cannot_probe_hidden_accounts(world, network, api):
    """Designating someone whose profile the coordinator cannot see answers like an absent id."""
    network_id, carla = network
    assert _designate(api, carla, network_id, world.tom, "TN").status_code == 404
    assert _designate(api, carla, network_id, world.tom, "BE").status_code == 404


def test_contact_point_list_shows_the_person_as_the_directory_does(world, network, api):
    network_id, _carla = network
    assert _designate(api, world.adam, network_id, world.alice, "BE").status_code == 201
    listed = api(world.bob)("GET", f"/api/v1/contact-points?network={network_id}").get_json()
    assert len(listed) == 1
    entry = listed[0]
    assert entry["network"] == "JP-COOPS" and entry["country"] == "BE"
    assert entry["agency_type"] == "probation"
    assert entry["person"]["name"] == "Alice Dubois"
    # Olga shares no group with Alice, whose profile is for co-members: the designation shows,
    # the person does not.
    listed = api(world.olga)("GET", "/api/v1/contact-points?country=BE").get_json()
    assert listed[0]["person"] is None
    assert api(world.olga)("GET", "/api/v1/contact-points?network=nope").status_code == 404
    assert api(world.olga)("GET", "/api/v1/contact-points?country=XX").status_code == 400


def test_contact_point_refusals_answer_the_api_error_format(world, network, api):
    olga = api(world.olga)
    unknown = olga("GET", "/api/v1/contact-points?network=nope")
    assert unknown.status_code == 404
    assert unknown.get_json() == {"error": {"code": "not_found", "message": "No such network."}}
    bad_country = olga("GET", "/api/v1/contact-points?country=XX")
    assert bad_country.status_code == 400
    assert bad_country.get_json() == {
        "error": {
            "code": "invalid_input",
            "message": "'XX' is not an ISO 3166-1 alpha-2 country code.",
        }
    }


def test_network_page_map_and_gap_list(world, network, api, client, login):
    network_id, _carla = network
    assert _designate(api, world.adam, network_id, world.alice, "BE").status_code == 201
    login(client, world.bob)
    page = client.get(f"/networks/{network_id}").get_data(as_text=True)
    svg = page[page.index("<svg") : page.index("</svg>")]
    # One focusable tile per country of the network, Belgium marked as covered.
    assert svg.count("<a ") == 3
    assert re.search(r'aria-label="Belgium: contact points"', svg)
    assert 'aria-label="Tunisia: no contact point yet"' in svg
    assert svg.count('class="tile covered"') == 1
    # Who to contact: Belgium's probation contact is Alice.
    assert 'id="country-BE"' in page and "Alice Dubois" in page
    # The gap list: Tunisia and Morocco lack every agency type; Belgium all but probation.
    gaps = page[page.index('<table class="table gaps">') :]
    gaps = gaps[: gaps.index("</table>")]
    belgium = re.search(r"<th scope=\"row\">Belgium</th><td>(.*?)</td>", gaps).group(1)
    assert "Probation" not in belgium and "Police" in belgium
    tunisia = re.search(r"<th scope=\"row\">Tunisia</th><td>(.*?)</td>", gaps).group(1)
    assert "Probation" in tunisia and "International organisation" in tunisia


def test_designation_through_the_profile_page(world, network, client, login, api):
    network_id, carla = network
    api(world.alice)(
        "PUT",
        "/api/v1/me/profile",
        json={"visibility": {"profile": "platform", "name": "platform"}},
    )
    login(client, carla)
    page = client.get(f"/people/{world.alice.id}").get_data(as_text=True)
    assert "Designate as a national contact point" in page
    response = post_form(
        client,
        f"/people/{world.alice.id}/designate",
        {"designate-network": str(network_id), "designate-agency_type": "police"},
        page=f"/people/{world.alice.id}",
        prefix="designate",
    )
    assert response.status_code == 302
    page = client.get(f"/networks/{network_id}").get_data(as_text=True)
    assert "Alice Dubois" in page


def test_only_admins_create_networks(world, client, login, app):
    login(client, world.bob)
    page = client.get("/networks").get_data(as_text=True)
    assert "New network" not in page
    response = post_form(client, "/networks", {"name": "HELP"})
    assert response.status_code == 403
    admin = app.test_client()
    login(admin, world.adam)
    response = post_form(admin, "/networks", {"name": "HELP", "countries": ["TN", "MA"]})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "<bdi>HELP</bdi>" in page and "Tunisia" in page
    assert post_form(admin, "/networks", {"name": "HELP"}).status_code == 409


def test_an_unknown_country_for_a_network_is_refused_with_a_sentence(
    world, network, client, login, app
):
    from emisa.extensions import db
    from emisa.people.models import Network

    network_id, _carla = network
    login(client, world.adam)
    page = f"/networks/{network_id}"
    refused = post_form(
        client,
        f"{page}/countries",
        {"countries-countries": ["BE", "ZZ"]},
        page=page,
        prefix="countries",
        follow_redirects=True,
    )
    shown = refused.get_data(as_text=True)
    assert "&#39;ZZ&#39; is not an ISO 3166-1 alpha-2 country code." in shown
    with app.app_context():
        assert db.session.get(Network, network_id).countries == ["BE", "MA", "TN"]


def test_cli_refuses_a_second_network_of_the_same_name(network, runner):
    result = runner.invoke(args=["emisa", "create-network", "--name", "JP-COOPS"])
    assert result.exit_code == 1
    assert "error: A network named JP-COOPS exists already." in result.output


def test_a_suspended_contact_point_is_no_longer_listed(world, network, api, app):
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.extensions import db

    network_id, _carla = network
    assert _designate(api, world.adam, network_id, world.alice, "BE").status_code == 201
    with app.app_context():
        db.session.get(User, world.alice.id).state = "suspended"
        commit()
    assert api(world.bob)("GET", "/api/v1/contact-points?country=BE").get_json() == []


def test_admin_names_a_coordinator_who_may_then_designate(world, network, client, login, api):
    network_id, carla = network
    login(client, world.adam)
    page = f"/networks/{network_id}"
    response = post_form(
        client,
        f"/networks/{network_id}/coordinators",
        {"coordinator-email": world.bob.email},
        page=page,
        prefix="coordinator",
    )
    assert response.status_code == 302
    assert "Bob Peeters" in client.get(page).get_data(as_text=True)
    api(world.tom)("PUT", "/api/v1/me/profile", json={"visibility": {"profile": "platform"}})
    assert _designate(api, world.bob, network_id, world.tom, "TN").status_code == 201
    # A coordinator cannot name others: that is for admins.
    other = client.application.test_client()
    login(other, carla)
    response = post_form(
        other,
        f"/networks/{network_id}/coordinators",
        {"coordinator-email": world.olga.email},
        page=page,
        prefix="coordinator",
    )
    assert response.status_code == 403
