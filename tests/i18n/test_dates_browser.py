"""A browser in Arabic (Morocco) and Africa/Casablanca confirms its zone at first sign-in and
then reads every date in Arabic, Latin digits, Casablanca time: no "2914:34 ,2026/11/"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import bearer, browser_login

pytestmark = pytest.mark.browser

EASTERN_DIGITS = re.compile("[\u0660-\u0669]")
# What Chromium wrote for a date in an Arabic locale before: digits glued across fields.
GARBLED = re.compile(r"\d{3,}:\d{2}|\d{4}/\d{1,2}/$|,\d{4}/")


@pytest.fixture
def scene(app, client, make_user, make_group):
    from emisa.accounts.models import User
    from emisa.accounts.sessions import issue_token
    from emisa.database import commit
    from emisa.extensions import db

    youssef = make_user(name="Youssef Casablanca", country="MA")
    group = make_group("Groupe Maghreb", members={youssef: "coordinator"})
    with app.app_context():
        _token, plain = issue_token(db.session.get(User, youssef.id), "browser test")
        commit()
    start = (datetime.now(UTC) + timedelta(days=3)).replace(
        hour=13, minute=30, second=0, microsecond=0
    )
    meeting = client.post(
        f"/api/v1/groups/{group}/meetings",
        headers=bearer(plain),
        json={
            "title": "Réunion de coordination",
            "starts_at": start.isoformat().replace("+00:00", "Z"),
            "ends_at": (start + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            "tlp": "TLP:AMBER",
        },
    )
    assert meeting.status_code == 201, meeting.get_json()
    thread = client.post(
        f"/api/v1/groups/{group}/threads",
        headers=bearer(plain),
        json={"title": "Retour d'expérience", "body": "Premier message.", "tlp": "TLP:AMBER"},
    )
    assert thread.status_code == 201, thread.get_json()
    local = start.astimezone(ZoneInfo("Africa/Casablanca"))
    return youssef, group, meeting.get_json()["id"], thread.get_json()["id"], local


def _text(page) -> str:
    """The page's text without its choice lists (the digits option shows ٠١٢... on purpose)."""
    return page.evaluate(
        "() => { const main = document.querySelector('main').cloneNode(true);"
        " main.querySelectorAll('select').forEach((s) => s.remove());"
        " document.body.append(main); const text = main.innerText; main.remove(); return text; }"
    )


def test_dates_read_in_arabic_with_latin_digits_in_casablanca_time(
    app, browser, live_server, scene
):
    youssef, group, meeting_id, thread_id, local = scene
    context = browser.new_context(locale="ar-MA", timezone_id="Africa/Casablanca")
    page = context.new_page()
    try:
        browser_login(page, live_server, youssef, app)
        # First sign-in: the language comes from the browser, the zone from Intl (app.js).
        page.goto(f"{live_server}/account/welcome")
        assert page.get_attribute("html", "lang") == "ar"
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.input_value("select[name=language]") == "ar"
        assert page.input_value("select[name=time_zone]") == "Africa/Casablanca"
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/account/welcome" not in url)

        expected = f"{local:%H:%M}"
        pages = {
            "/meetings": expected,
            f"/meetings/{meeting_id}": expected,
            f"/groups/{group}/meetings": expected,
            f"/threads/{thread_id}": None,
            f"/groups/{group}/documents": None,
            "/account": None,
            "/": None,
        }
        for path, wanted in pages.items():
            page.goto(f"{live_server}{path}")
            assert page.get_attribute("html", "lang") == "ar", path
            text = _text(page)
            assert not EASTERN_DIGITS.search(text), (path, text[:500])
            assert not GARBLED.search(text), (path, text[:500])
            if wanted:
                assert wanted in text, (path, wanted, text[:800])
            for stamp in page.locator("main time").all_inner_texts():
                assert re.search(r"\d{1,2}:\d{2}", stamp) and re.search(r"20\d\d", stamp), (
                    path,
                    stamp,
                )
        # The meeting names the zone it is shown in.
        page.goto(f"{live_server}/meetings/{meeting_id}")
        assert "Africa/Casablanca" in _text(page)
        # Scripts format in the same locale, digits and zone.
        tag, zone = page.evaluate(
            "() => [JSON.parse(document.getElementById('emisa-i18n').textContent).locale.tag,"
            " JSON.parse(document.getElementById('emisa-i18n').textContent).locale.zone]"
        )
        assert (tag, zone) == ("ar-MA-u-nu-latn", "Africa/Casablanca")
        instant = f"{local.astimezone(UTC):%Y-%m-%dT%H:%M}:00Z"
        shown = page.evaluate("(iso) => window.emisa.time(iso)", instant)
        # Compared with the browser's own Casablanca time: Debian's Chromium carries older
        # zone data than Python's tzdata for Morocco (GMT+0 instead of +1 in 2026).
        own = page.evaluate(
            "(iso) => new Intl.DateTimeFormat('ar-MA-u-nu-latn', {timeZone: 'Africa/Casablanca',"
            " hour: '2-digit', minute: '2-digit'}).format(new Date(iso))",
            instant,
        )
        assert shown == own and re.fullmatch(r"\d\d:\d\d", shown)
    finally:
        context.close()
