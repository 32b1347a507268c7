"""Scheduling meetings: API, pages, time zones, iCalendar, feeds, cancellation notices."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from emisa.signals import notify
from tests.conftest import bearer
from tests.support.web import post_form


def _at(days: int, hour: int = 9) -> str:
    day = (datetime.now(UTC) + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return day.isoformat().replace("+00:00", "Z")


@pytest.fixture
def setup(make_user, make_group, api_token):
    chair = make_user(name="Chair Amman", country="JO")
    ann = make_user(name="Ann Nairobi", country="KE")
    obs = make_user(name="Olga Observer")
    partner = make_user(name="Pat Partner", kind="partner")
    outsider = make_user(name="Oscar Outsider")
    group = make_group(
        members={chair: "coordinator", ann: "member", obs: "observer", partner: "member"}
    )
    tokens = {p.name: api_token(p) for p in (chair, ann, obs, partner, outsider)}
    return group, (chair, ann, obs, partner, outsider), tokens


def _create(client, group, token, **fields):
    body = {
        "title": "Returnees: case conference",
        "starts_at": _at(3),
        "ends_at": _at(3, 11),
        "agenda": ["Welcome", "Case review"],
        "tlp": "TLP:AMBER",
        **fields,
    }
    return client.post(f"/api/v1/groups/{group}/meetings", json=body, headers=bearer(token))


def test_coordinator_schedules_and_members_see_it(client, setup):
    group, (_chair, _ann, _obs, _partner, _outsider), tokens = setup
    created = _create(client, group, tokens["Chair Amman"])
    assert created.status_code == 201, created.get_json()
    meeting = created.get_json()
    assert meeting["title"] == "Returnees: case conference" and meeting["state"] == "scheduled"
    assert meeting["starts_at"] == _at(3) and meeting["agenda"] == ["Welcome", "Case review"]

    listed = client.get(f"/api/v1/groups/{group}/meetings", headers=bearer(tokens["Ann Nairobi"]))
    assert [m["id"] for m in listed.get_json()] == [meeting["id"]]
    assert (
        client.get(
            f"/api/v1/meetings/{meeting['id']}", headers=bearer(tokens["Olga Observer"])
        ).status_code
        == 200
    )
    # Partners read GREEN and CLEAR only; outsiders nothing; neither learns the meeting exists.
    for name in ("Pat Partner", "Oscar Outsider"):
        assert (
            client.get(
                f"/api/v1/meetings/{meeting['id']}", headers=bearer(tokens[name])
            ).status_code
            == 404
        )
    assert (
        client.get(
            f"/api/v1/groups/{group}/meetings", headers=bearer(tokens["Pat Partner"])
        ).get_json()
        == []
    )
    assert client.get(f"/api/v1/meetings/{meeting['id']}").status_code == 401


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"tlp": "TLP:PINK"}, 400),
        ({"ends_at": _at(2)}, 400),
        ({"starts_at": "tomorrow"}, 400),
        ({"title": "x"}, 400),
        ({"ends_at": _at(5)}, 400),  # longer than a day
    ],
)
def test_invalid_meetings_are_refused_with_a_reason(client, setup, fields, status):
    group, _people, tokens = setup
    answer = _create(client, group, tokens["Chair Amman"], **fields)
    assert answer.status_code == status
    assert answer.get_json()["error"]["message"]


def test_only_coordinators_schedule(client, setup):
    group, _people, tokens = setup
    assert _create(client, group, tokens["Ann Nairobi"]).status_code == 403
    assert _create(client, group, tokens["Olga Observer"]).status_code == 403
    assert _create(client, group, tokens["Oscar Outsider"]).status_code in (403, 404)


def test_red_meeting_is_for_its_named_invitees(client, setup):
    group, (chair, ann, _obs, _partner, outsider), tokens = setup
    red = _create(client, group, tokens["Chair Amman"], tlp="TLP:RED", invitees=[ann.id]).get_json()
    assert red["invitees"] == sorted([chair.id, ann.id])
    assert (
        client.get(
            f"/api/v1/meetings/{red['id']}", headers=bearer(tokens["Ann Nairobi"])
        ).status_code
        == 200
    )
    assert (
        client.get(
            f"/api/v1/meetings/{red['id']}", headers=bearer(tokens["Olga Observer"])
        ).status_code
        == 404
    )
    refused = _create(client, group, tokens["Chair Amman"], tlp="TLP:RED", invitees=[outsider.id])
    assert refused.status_code == 400 and "members" in refused.get_json()["error"]["message"]


def test_ics_is_rfc5545_with_the_marking(client, setup):
    group, _people, tokens = setup
    meeting = _create(client, group, tokens["Chair Amman"]).get_json()
    answer = client.get(
        f"/api/v1/meetings/{meeting['id']}/ics", headers=bearer(tokens["Ann Nairobi"])
    )
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    calendar = Calendar.from_ical(answer.data)
    event = calendar.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "[TLP:AMBER] Returnees: case conference"
    assert event.decoded("DTSTART").isoformat().replace("+00:00", "Z") == _at(3)
    assert str(event["CLASS"]) == "CONFIDENTIAL" and "Case review" in str(event["DESCRIPTION"])
    assert b"\r\n" in answer.data


def test_personal_feed_hides_details_above_green_and_can_be_revoked(app, client, login, setup):
    group, (_chair, ann, *_), tokens = setup
    _create(client, group, tokens["Chair Amman"], title="Secret amber planning")
    _create(client, group, tokens["Chair Amman"], title="Open green webinar", tlp="TLP:GREEN")
    login(client, ann)
    page = post_form(client, "/meetings/feed", {}, page="/meetings")
    assert page.status_code == 200
    url = re.search(r'value="(https?://[^"]+\.ics)"', page.get_data(as_text=True)).group(1)
    path = url.split("emisa.test", 1)[1]
    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    summaries = sorted(str(e["SUMMARY"]) for e in Calendar.from_ical(feed.data).walk("VEVENT"))
    assert summaries == [
        f"[TLP:AMBER] EMISA meeting of {_group_name(app, group)}",
        "[TLP:GREEN] Open green webinar",
    ]
    assert b"Secret amber planning" not in feed.data
    post_form(client, "/meetings/feed/revoke", {}, page="/meetings")
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/meetings/feed/not-a-token.ics").status_code == 404


def _group_name(app, group_id):
    from emisa.extensions import db
    from emisa.groups.models import WorkingGroup

    with app.app_context():
        return db.session.get(WorkingGroup, group_id).name


def test_every_named_invitee_is_kept(client, setup):
    """Several invitees at once: none is dropped as a duplicate of another."""
    group, (chair, ann, obs, _partner, _outsider), tokens = setup
    red = _create(client, group, tokens["Chair Amman"], tlp="TLP:RED", invitees=[ann.id, obs.id])
    assert red.status_code == 201, red.get_json()
    assert red.get_json()["invitees"] == sorted([chair.id, ann.id, obs.id])
    for name in ("Ann Nairobi", "Olga Observer"):
        url = f"/api/v1/meetings/{red.get_json()['id']}"
        assert client.get(url, headers=bearer(tokens[name])).status_code == 200


def test_cancel_notifies_invitees_without_amber_content(app, client, setup):
    group, (_chair, ann, obs, _partner, _outsider), tokens = setup
    meeting = _create(
        client, group, tokens["Chair Amman"], title="Amber operational topic"
    ).get_json()
    sent = []

    def capture(_sender, **kwargs):
        sent.append(kwargs)

    notify.connect(capture)
    try:
        answer = client.post(
            f"/api/v1/meetings/{meeting['id']}/cancel", headers=bearer(tokens["Chair Amman"])
        )
    finally:
        notify.disconnect(capture)
    assert answer.status_code == 200 and answer.get_json()["state"] == "cancelled"
    assert len(sent) == 1 and sent[0]["kind"] == "meeting"
    assert sorted(sent[0]["user_ids"]) == sorted([ann.id, obs.id])  # not the partner, not the chair
    assert sent[0]["params"]["verb"] == "cancelled" and sent[0]["params"]["tlp"] == "TLP:AMBER"
    assert "Amber operational topic" not in repr(sent[0])
    assert sent[0]["link"] == f"/meetings/{meeting['id']}"
    again = client.post(
        f"/api/v1/meetings/{meeting['id']}/cancel", headers=bearer(tokens["Chair Amman"])
    )
    assert again.status_code == 409


def test_pages_schedule_in_the_users_time_zone(app, client, login, setup):
    group, (chair, ann, *_), _tokens = setup
    login(client, chair)
    answer = post_form(
        client,
        "/meetings/time-zone",
        {"time_zone": "Asia/Amman", "next": "/meetings"},
        page="/meetings",
    )
    assert answer.status_code == 302
    day = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%d")
    answer = post_form(
        client,
        f"/groups/{group}/meetings/new",
        {
            "title": "Prison radicalisation seminar follow-up",
            "starts_at": f"{day}T10:00",
            "ends_at": f"{day}T12:30",
            "agenda": "Opening\nFindings\n",
            "tlp": "TLP:GREEN",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    meeting_url = answer.headers["Location"]
    from emisa.extensions import db
    from emisa.meetings.models import Meeting

    with app.app_context():
        meeting = db.session.scalars(db.select(Meeting)).one()
        # Amman is UTC+3 all year.
        assert meeting.starts_at.strftime("%H:%M") == "07:00"
        assert meeting.ends_at.strftime("%H:%M") == "09:30"
    page = client.get(meeting_url).get_data(as_text=True)
    assert "10:00" in page and "Asia/Amman" in page and "TLP:GREEN" in page
    tab = client.get(f"/groups/{group}/meetings").get_data(as_text=True)
    assert "Prison radicalisation seminar follow-up" in tab and 'class="calendar"' in tab
    room = client.get(f"{meeting_url}/room")
    assert room.status_code == 200
    html = room.get_data(as_text=True)
    assert (
        "vendor/socket.io.min.js" in html
        and "<script>" not in html
        and 'data-ice-servers="' in html
    )

    other = app.test_client()
    login(other, ann)
    assert "07:00" in other.get(meeting_url).get_data(as_text=True)  # Ann reads UTC
    assert other.get(f"/groups/{group}/meetings/new").status_code == 403


def test_edit_raises_the_sequence_and_notifies(client, setup):
    group, _people, tokens = setup
    meeting = _create(client, group, tokens["Chair Amman"], tlp="TLP:GREEN").get_json()
    sent = []
    notify.connect(lambda _s, **kw: sent.append(kw), weak=False)
    changed = client.put(
        f"/api/v1/meetings/{meeting['id']}",
        json={
            "title": "Moved webinar",
            "starts_at": _at(4),
            "ends_at": _at(4, 10),
            "tlp": "TLP:GREEN",
        },
        headers=bearer(tokens["Chair Amman"]),
    )
    notify.receivers.clear()
    assert changed.status_code == 200 and changed.get_json()["title"] == "Moved webinar"
    # Notices are stored in clear: they name the label and the group, never the title.
    assert sent and sent[0]["params"]["verb"] == "changed" and "Moved webinar" not in repr(sent)
    assert sent[0]["link"] == f"/meetings/{meeting['id']}"
    ics = client.get(f"/api/v1/meetings/{meeting['id']}/ics", headers=bearer(tokens["Ann Nairobi"]))
    assert Calendar.from_ical(ics.data).walk("VEVENT")[0]["SEQUENCE"] == 1
