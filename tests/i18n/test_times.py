"""Times in the reader's zone, locale and digits: a meeting a Brussels coordinator schedules
at 15:00 reads 15:00 to them and 17:00 to a member in Amman, on the page, in the .ics and in
the calendar feed; stored in UTC. Digits are Latin unless the account chose Eastern Arabic."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from emisa.extensions import db
from tests.support.web import post_form

EASTERN_DIGITS = "[\u0660-\u0669]"


def _set(app, persona, **values):
    from emisa.accounts.models import User
    from emisa.database import commit

    with app.app_context():
        user = db.session.get(User, persona.id)
        for name, value in values.items():
            setattr(user, name, value)
        commit()


def _next_weekday_in_december() -> date:
    """A day in winter (Brussels UTC+1, Amman UTC+3 all year), at least two days ahead."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    while day.month not in (12, 1, 2):
        day += timedelta(days=1)
    return day


@pytest.fixture
def meeting(app, client, login, make_user, make_group):
    chair = make_user(name="Chloé Bruxelles", country="BE")
    rania = make_user(name="Rania Amman", country="JO")
    group = make_group(members={chair: "coordinator", rania: "member"})
    _set(app, chair, time_zone="Europe/Brussels")
    _set(app, rania, time_zone="Asia/Amman")
    day = _next_weekday_in_december()
    login(client, chair)
    answer = post_form(
        client,
        f"/groups/{group}/meetings/new",
        {
            "title": "Case conference on returnees",
            "starts_at": f"{day:%Y-%m-%d}T15:00",
            "ends_at": f"{day:%Y-%m-%d}T16:30",
            "tlp": "TLP:AMBER",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1000]
    return answer.headers["Location"], chair, rania, day


def test_the_meeting_reads_in_each_readers_zone(app, client, login, meeting):
    from emisa.meetings.models import Meeting

    url, _chair, rania, day = meeting
    with app.app_context():
        stored = db.session.scalars(db.select(Meeting)).one()
        assert (stored.starts_at, stored.ends_at) == (
            datetime(day.year, day.month, day.day, 14, 0),
            datetime(day.year, day.month, day.day, 15, 30),
        )
    mine = client.get(url).get_data(as_text=True)
    assert "15:00" in mine and "16:30" in mine and "Europe/Brussels" in mine
    assert "17:00" not in mine

    other = app.test_client()
    login(other, rania)
    theirs = other.get(url).get_data(as_text=True)
    assert "17:00" in theirs and "18:30" in theirs and "Asia/Amman" in theirs
    assert "15:00" not in theirs
    listing = other.get("/meetings").get_data(as_text=True)
    assert "17:00" in listing and "Asia/Amman" in listing


def test_the_ics_and_the_feed_give_utc_and_name_the_readers_time(app, client, login, meeting):
    url, _chair, rania, _day = meeting
    other = app.test_client()
    login(other, rania)
    ics = other.get(f"{url}/ics" if url.endswith("/ics") else f"{url}.ics")
    if ics.status_code == 404:
        ics = other.get(f"{url}/ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    (event,) = Calendar.from_ical(ics.data).walk("VEVENT")
    start = event.decoded("dtstart")
    assert (start.utcoffset(), start.hour) == (timedelta(0), 14)
    description = str(event["DESCRIPTION"])
    assert "17:00" in description and "18:30" in description and "(Asia/Amman)" in description

    feed_page = post_form(other, "/meetings/feed", {}, page="/meetings")
    feed_url = re.search(r'value="(https?://[^"]+\.ics)"', feed_page.get_data(as_text=True))
    feed = app.test_client().get(feed_url.group(1).split("emisa.test", 1)[1])
    assert feed.status_code == 200
    (event,) = Calendar.from_ical(feed.data).walk("VEVENT")
    assert event.decoded("dtstart").hour == 14
    assert "17:00" in str(event["DESCRIPTION"]) and "(Asia/Amman)" in str(event["DESCRIPTION"])


def test_the_feed_speaks_its_owners_language_not_the_calendar_apps(app, client, login, meeting):
    _url, _chair, rania, _day = meeting
    _set(app, rania, language="ar")
    other = app.test_client()
    login(other, rania)
    feed_page = post_form(other, "/meetings/feed", {}, page="/meetings")
    feed_url = re.search(r'value="(https?://[^"]+\.ics)"', feed_page.get_data(as_text=True))
    feed = app.test_client().get(
        feed_url.group(1).split("emisa.test", 1)[1], headers={"Accept-Language": "tr"}
    )
    (event,) = Calendar.from_ical(feed.data).walk("VEVENT")
    # Arabic month and day names, Latin digits, the 12-hour clock of CLDR's Arabic.
    assert "5:00" in str(event["DESCRIPTION"]) and "(Asia/Amman)" in str(event["DESCRIPTION"])
    assert re.search(r"[\u0600-\u06ff]", str(event["DESCRIPTION"]))


def test_digits_are_latin_unless_the_account_chose_eastern_arabic(app, client, login, meeting):
    url, _chair, rania, _day = meeting
    _set(app, rania, language="ar")
    other = app.test_client()
    login(other, rania)
    moroccan = {"Accept-Language": "ar-MA,ar;q=0.9"}  # Moroccan Arabic: a 24-hour clock
    page = other.get(url, headers=moroccan).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "17:00" in page
    assert not re.search(EASTERN_DIGITS, page)
    assert '"tag":"ar-MA-u-nu-latn"' in page and '"zone":"Asia/Amman"' in page

    _set(app, rania, digits="arab")
    page = other.get(url, headers=moroccan).get_data(as_text=True)
    assert "\u0661\u0667:\u0660\u0660" in page and '"tag":"ar-MA-u-nu-arab"' in page


def test_dates_follow_the_readers_locale(app, client, login, make_user):
    from emisa.i18n import format_date, format_datetime, format_number

    instant = datetime(2026, 11, 29, 14, 34)
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert format_datetime(instant) == "29 nov. 2026, 14:34"
        assert format_number(1234567.5) == "1\u202f234\u202f567,5"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_datetime(instant) == "29 Nov 2026, 14:34"
    with app.test_request_context(headers={"Accept-Language": "ar-MA"}):
        text = format_datetime(instant)
        assert "14:34" in text and "2026" in text and not re.search(EASTERN_DIGITS, text)
        assert format_date(instant, "long").endswith("2026")
    with app.test_request_context(headers={"Accept-Language": "tr"}):
        assert format_datetime(instant) == "29 Kas 2026 14:34"
