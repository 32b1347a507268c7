"""Which language a page speaks: the account's, else the switch's cookie, else the browser's
(with sensible fallbacks for the Maghreb, Lebanon and Kurdish or Berber browsers), else English;
the language switch, PATCH /me and the account's language, time zone and digits."""

from __future__ import annotations

import re

import pytest

from emisa.extensions import db
from tests.conftest import bearer
from tests.support.web import csrf_from, post_form


def _lang(response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', response.get_data(as_text=True))
    return match.group(1), match.group(2)


def _account(app, persona):
    from emisa.accounts.models import User

    with app.app_context():
        user = db.session.get(User, persona.id)
        return user.language, user.time_zone, user.digits


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar-LB,ar;q=0.9,en;q=0.5", ("ar", "rtl")),
        ("fr-MA,fr;q=0.9", ("fr", "ltr")),
        ("kab-DZ,kab;q=0.9", ("fr", "ltr")),
        ("zgh-MA", ("ar", "rtl")),
        ("ku-TR", ("tr", "ltr")),
        ("tr-TR", ("tr", "ltr")),
        ("de-DE,fr;q=0.5", ("fr", "ltr")),
        ("xx-YY", ("en", "ltr")),
        ("", ("en", "ltr")),
    ],
)
def test_the_browser_language_applies_with_fallbacks(client, header, expected):
    assert _lang(client.get("/login", headers={"Accept-Language": header})) == expected


def test_the_account_beats_the_cookie_which_beats_the_browser(app, client, login, make_user):
    from emisa.accounts.models import User
    from emisa.database import commit

    client.set_cookie("emisa_language", "tr", domain="emisa.test")
    assert _lang(client.get("/login", headers={"Accept-Language": "fr"})) == ("tr", "ltr")
    client.set_cookie("emisa_language", "klingon", domain="emisa.test")  # ignored
    assert _lang(client.get("/login", headers={"Accept-Language": "fr"})) == ("fr", "ltr")

    amira = make_user(name="Amira Rabat", country="MA")
    with app.app_context():
        db.session.get(User, amira.id).language = "ar"
        commit()
    client.set_cookie("emisa_language", "tr", domain="emisa.test")
    login(client, amira)
    assert _lang(client.get("/groups", headers={"Accept-Language": "fr"})) == ("ar", "rtl")


def _language_cookie(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("emisa_language=")]


def test_the_switch_on_the_sign_in_page_sets_a_cookie_and_comes_back(client):
    page = client.get("/login")
    assert 'action="/language"' in page.get_data(as_text=True)
    answer = post_form(client, "/language", {"language": "fr", "next": "/login"}, page="/login")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    (cookie,) = _language_cookie(answer)
    assert cookie.startswith("emisa_language=fr;") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert _lang(client.get("/login", headers={"Accept-Language": "en"})) == ("fr", "ltr")


def test_the_switch_refuses_forged_requests_unknown_languages_and_foreign_targets(client):
    forged = client.post("/language", data={"language": "ar", "next": "/login"})
    assert forged.status_code == 400 and not _language_cookie(forged)
    unknown = post_form(client, "/language", {"language": "de", "next": "/login"}, page="/login")
    assert unknown.status_code == 302 and not _language_cookie(unknown)
    away = post_form(
        client, "/language", {"language": "tr", "next": "https://evil.example/x"}, page="/login"
    )
    assert away.status_code == 302 and away.headers["Location"] == "/login"
    sneaky = post_form(
        client, "/language", {"language": "tr", "next": "/\\evil.example"}, page="/login"
    )
    assert sneaky.headers["Location"] == "/login"


def test_the_top_bar_switch_sets_the_account_language(app, client, login, make_user):
    hakan = make_user(name="Hakan Ankara", country="TR")
    login(client, hakan)
    groups = client.get("/groups").get_data(as_text=True)
    assert 'name="language" value="tr"' in groups
    answer = post_form(
        client, "/language", {"language": "tr", "next": "/groups?x=1"}, page="/groups"
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/groups?x=1"
    assert _account(app, hakan)[0] == "tr"
    # The account's choice holds whatever the browser says, on every page.
    assert _lang(client.get("/meetings", headers={"Accept-Language": "ar"})) == ("tr", "ltr")
    post_form(client, "/language", {"language": "ar", "next": "/groups"}, page="/groups")
    assert _account(app, hakan)[0] == "ar"
    assert _lang(client.get("/groups")) == ("ar", "rtl")


def test_a_password_only_session_switches_only_its_cookie(app, make_user):
    """Half signed in (no second factor yet), the switch is the anonymous one: the page
    changes language, the account does not."""
    from tests.access.world import web_sign_in

    nadia = make_user(name="Nadia Alger", country="DZ")
    client = web_sign_in(app, nadia, full=False)
    answer = post_form(
        client, "/language", {"language": "ar", "next": "/login/code"}, page="/login/code"
    )
    assert answer.status_code == 302
    assert _account(app, nadia)[0] is None
    assert _lang(client.get("/login/code")) == ("ar", "rtl")


def test_get_and_patch_me_language_and_time_zone(app, client, make_user, token_for):
    nadia = make_user(name="Nadia Tunis", country="TN")
    headers = bearer(token_for(nadia))
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["language"] is None and me["time_zone"] == "UTC"

    answer = client.patch("/api/v1/me", headers=headers, json={"language": "fr"})
    assert answer.status_code == 200
    assert answer.get_json()["language"] == "fr" and answer.get_json()["email"] == nadia.email
    answer = client.patch(
        "/api/v1/me", headers=headers, json={"language": "ar", "time_zone": "Africa/Tunis"}
    )
    assert answer.status_code == 200
    assert (answer.get_json()["language"], answer.get_json()["time_zone"]) == ("ar", "Africa/Tunis")
    assert _account(app, nadia)[:2] == ("ar", "Africa/Tunis")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"language": "de"}, "language: Choose a language among en, fr, ar, tr."),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone: Choose an IANA time zone"),
        ({"time_zone": "EST5EDT"}, "time_zone: Choose an IANA time zone"),
        ({"language": "fr", "time_zone": "Nowhere"}, "time_zone:"),
        ({}, "Send language, time_zone or both."),
        ({"digits": "arab"}, "Invalid input"),
        ({"language": 7}, "Invalid input"),
    ],
)
def test_patch_me_refuses_what_is_not_a_language_or_zone(
    app, client, make_user, token_for, body, words
):
    karim = make_user(name="Karim Algiers", country="DZ")
    headers = bearer(token_for(karim))
    answer = client.patch("/api/v1/me", headers=headers, json=body)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_input" and words in error["message"]
    # Nothing half-stored: a valid language sent with a wrong zone was not kept either.
    assert _account(app, karim) == (None, "UTC", "latn")


def test_patch_me_needs_a_signed_in_caller(client):
    answer = client.patch("/api/v1/me", json={"language": "fr"})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "not_authenticated"


def test_the_account_page_saves_language_time_zone_and_digits(app, client, login, make_user):
    leila = make_user(name="Leila Amman", country="JO")
    login(client, leila)
    page = client.get("/account").get_data(as_text=True)
    assert 'name="pf-language"' in page and 'name="pf-time_zone"' in page
    assert 'name="pf-digits"' in page
    answer = post_form(
        client,
        "/account/preferences",
        {"pf-language": "ar", "pf-time_zone": "Asia/Amman", "pf-digits": "arab"},
        page="/account",
        prefix="pf",
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/account"
    assert _account(app, leila) == ("ar", "Asia/Amman", "arab")

    refused = post_form(
        client,
        "/account/preferences",
        {"pf-language": "fr", "pf-time_zone": "Atlantis/Capital", "pf-digits": "latn"},
        page="/account",
        prefix="pf",
    )
    assert refused.status_code == 400
    assert _account(app, leila) == ("ar", "Asia/Amman", "arab")


def test_first_sign_in_confirms_language_and_time_zone(app, client, make_user):
    """After enrolling two-factor sign-in, the recovery codes lead to the welcome page, where
    the language is pre-chosen from the browser and the time zone confirmed."""
    import pyotp

    from tests.support.web import totp_code

    sami = make_user(name="Sami Beirut", country="LB", enrolled=False)
    french = {"Accept-Language": "fr-LB,fr;q=0.9,ar;q=0.8"}
    login_page = client.get("/login", headers=french).get_data(as_text=True)
    answer = client.post(
        "/login",
        headers=french,
        data={"csrf_token": csrf_from(login_page), "email": sami.email, "password": sami.password},
    )
    assert answer.headers["Location"].endswith("/enrol")
    enrol = client.get("/enrol", headers=french).get_data(as_text=True)
    client.post("/enrol", headers=french, data={"start-csrf_token": csrf_from(enrol)})
    enrol = client.get("/enrol", headers=french).get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', enrol).group(1)
    codes = client.post(
        "/enrol",
        headers=french,
        data={"csrf_token": csrf_from(enrol), "code": totp_code(secret)},
    )
    assert codes.status_code == 200 and 'href="/account/welcome"' in codes.get_data(as_text=True)
    assert pyotp.TOTP(secret)  # the secret shown was a real base32 one

    welcome = client.get("/account/welcome", headers=french).get_data(as_text=True)
    assert re.search(r'<option selected value="fr">|<option value="fr" selected>', welcome)
    assert "data-zone-form" in welcome  # static/js/app.js fills in the browser's zone
    answer = client.post(
        "/account/welcome",
        headers=french,
        data={
            "csrf_token": csrf_from(welcome),
            "language": "fr",
            "time_zone": "Asia/Beirut",
            "digits": "latn",
        },
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert _account(app, sami) == ("fr", "Asia/Beirut", "latn")


def test_the_openapi_document_describes_patch_me(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    patch = spec["paths"]["/api/v1/me"]["patch"]
    assert {"200", "400", "401"} <= set(patch["responses"])
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert body["minProperties"] == 1  # an empty object is refused, and the document says so
    schema = spec["components"]["schemas"][body["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"language", "time_zone"}
    me = spec["components"]["schemas"]["Me"]["properties"]
    assert {"language", "time_zone"} <= set(me)


def test_outside_a_request_messages_and_dates_are_english_and_utc(app):
    """Operations translate their refusals; the command line and background work, which
    have no request, get English and UTC instead of an error."""
    from datetime import datetime

    from flask_babel import gettext

    from emisa.i18n import format_datetime

    with app.app_context():
        assert gettext("Sign in first.") == "Sign in first."
        assert format_datetime(datetime(2026, 1, 1, 12, 0)) == "1 Jan 2026, 12:00"
