"""When something is not available, the interface says why instead of hiding it silently."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from tests.conftest import bearer
from tests.support.web import post_form


def test_scheduling_an_amber_meeting_says_partners_will_not_see_it(
    app, client, login, make_user, make_group
):
    chair = make_user(name="Chair Carla", country="BE")
    partner = make_user(name="Partner Pia", country="KE", kind="partner")
    group = make_group(members={chair: "coordinator", partner: "member"})
    login(client, chair)
    form = client.get(f"/groups/{group}/meetings/new").get_data(as_text=True)
    assert "This group has 1 partner member" in form
    day = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    answer = post_form(
        client,
        f"/groups/{group}/meetings/new",
        {
            "title": "Case conference",
            "starts_at": f"{day}T10:00",
            "ends_at": f"{day}T11:00",
            "agenda": "One\n",
            "tlp": "TLP:AMBER",
        },
    )
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "1 partner member of this group will not see this meeting" in page
    answer = post_form(
        client,
        f"/groups/{group}/meetings/new",
        {
            "title": "Open webinar",
            "starts_at": f"{day}T14:00",
            "ends_at": f"{day}T15:00",
            "agenda": "One\n",
            "tlp": "TLP:GREEN",
        },
    )
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "will not see this meeting" not in page  # GREEN: partners see it


def test_publish_is_shown_disabled_with_the_reason_in_a_country_restricted_group(
    app, client, login, make_user, make_group, token_for
):
    chair = make_user(name="Chair Carla", country="BE")
    member = make_user(name="Member Max", country="BE")
    group = make_group(countries=["BE", "FR"], members={chair: "coordinator", member: "member"})
    response = client.post(
        f"/api/v1/groups/{group}/documents",
        data={"title": "Leaflet", "tlp": "TLP:CLEAR", "file": (io.BytesIO(b"x"), "a.txt")},
        headers=bearer(token_for(chair)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    doc = response.get_json()["id"]
    login(client, chair)
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert '<button type="button" disabled aria-describedby="publish-refusal">' in page
    assert "A document restricted to some countries cannot be made public." in page
    other = app.test_client()
    login(other, member)
    assert "Publish in the public library" not in other.get(f"/documents/{doc}").get_data(
        as_text=True
    )  # not a coordinator: nothing to explain


def test_a_partner_member_learns_an_amber_meeting_exists_but_nothing_more(
    app, client, login, make_user, make_group, token_for
):
    from emisa.accounts.models import User
    from emisa.extensions import db
    from emisa.meetings.models import Meeting

    chair = make_user(name="Chair Carla", country="BE")
    partner = make_user(name="Partner Pia", country="KE", kind="partner")
    outsider_partner = make_user(name="Partner Paul", country="KE", kind="partner")
    group = make_group(members={chair: "coordinator", partner: "member"})
    make_group("Elsewhere", members={outsider_partner: "member"})
    token = token_for(chair)
    start = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2)

    def meeting(title, tlp, **extra):
        response = client.post(
            f"/api/v1/groups/{group}/meetings",
            json={
                "title": title,
                "starts_at": start.isoformat() + "Z",
                "ends_at": (start + timedelta(hours=1)).isoformat() + "Z",
                "agenda": [],
                "tlp": tlp,
                **extra,
            },
            headers=bearer(token),
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    amber = meeting("SECRET-AMBER", "TLP:AMBER")
    meeting("SECRET-RED", "TLP:RED", invitees=[chair.id])
    meeting("Open webinar", "TLP:GREEN")
    login(client, partner)
    page = client.get(f"/groups/{group}/meetings").get_data(as_text=True)
    assert 'id="unreadable-meetings"' in page and "TLP:AMBER" in page
    assert "SECRET" not in page and "TLP:RED" not in page  # a RED meeting: not even its date
    assert "Open webinar" in page
    assert client.get(f"/meetings/{amber}").status_code == 404  # knowing is not opening
    # The rule agrees with the list (its SQL twin): the partner alone knows of it.
    with app.app_context():
        from emisa.access import could

        everything = list(db.session.scalars(db.select(Meeting)))
        for persona, expected in ((partner, [amber]), (chair, []), (outsider_partner, [])):
            user = db.session.get(User, persona.id)
            assert [m.id for m in everything if could(user, "know_of", m)] == expected
    chair_page = app.test_client()
    login(chair_page, chair)
    assert 'id="unreadable-meetings"' not in chair_page.get(f"/groups/{group}/meetings").get_data(
        as_text=True
    )
