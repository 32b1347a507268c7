"""Malformed numbers in paths and query strings answer 400 or 404 in the error format, never 500.

The routes come from ``app.url_map`` itself, so a new route or a new parameter is fuzzed
without anyone listing it here.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.routing import IntegerConverter

from emisa.web import DATABASE_ID_MAX
from tests.conftest import bearer

# Just beyond INTEGER (every id column), beyond BIGINT, far beyond, negative, exponent,
# non-ASCII digits, superscript (a digit to str.isdigit, not to int), hexadecimal, decimal.
BAD_NUMBERS = [str(2**31), str(2**63), "9" * 30, "-1", "1e23", "١٢", "²", "0x10", "1.5"]
# Out of the range a calendar can step from, malformed dates and months.
BAD_DATES = ["1-1", "9999-12", "0001-01", "9999-12-31", "0001-01-01", "2026-13-01", "2026-02-30"]
QUERY_PARAMETERS = ["page", "month", "group", "group_id", "version", "from", "to", "since", "until"]
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@pytest.fixture
def world(app, client, make_user, make_group, login, token_for):
    """A coordinator signed in twice (browser session and token) with one of everything."""
    admin = make_user(admin=True)
    chair = make_user()
    group = make_group(members={chair: "coordinator"})
    token = token_for(chair)
    login(client, chair)
    api = app.test_client()
    made = {}
    thread = api.post(
        f"/api/v1/groups/{group}/threads",
        headers=bearer(token),
        json={"title": "Fuzzed thread", "body": "First post", "tlp": "TLP:AMBER"},
    )
    made["thread"] = thread.get_json()["id"]
    made["post"] = api.get(f"/api/v1/threads/{made['thread']}", headers=bearer(token)).get_json()[
        "posts"
    ][0]["id"]
    document = api.post(
        f"/api/v1/groups/{group}/documents",
        headers=bearer(token),
        data={"file": (io.BytesIO(b"notes"), "notes.txt"), "title": "Notes", "tlp": "TLP:AMBER"},
        content_type="multipart/form-data",
    )
    made["document"] = document.get_json()["id"]
    start = datetime.now(UTC) + timedelta(days=1)
    meeting = api.post(
        f"/api/v1/groups/{group}/meetings",
        headers=bearer(token),
        json={
            "title": "Fuzzed meeting",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "agenda": "One item",
            "tlp": "TLP:AMBER",
        },
    )
    made["meeting"] = meeting.get_json()["id"]
    real = {
        "group": group,
        "gid": group,
        "thread": made["thread"],
        "tid": made["thread"],
        "post": made["post"],
        "pid": made["post"],
        "document": made["document"],
        "meeting": made["meeting"],
        "user": chair.id,
    }
    return {"client": client, "token": token, "ids": real, "admin": admin}


def real_id(name: str, ids: dict) -> str:
    return str(ids.get(name.removesuffix("_id"), ids.get(name, 1)))


def build(rule, ids: dict, fuzzed: str | None = None, value: str = "") -> str:
    def fill(match):
        converter, name = match.group(1), match.group(2)
        if name == fuzzed:
            return value
        if converter == "int":
            return real_id(name, ids)
        if converter == "any":
            return re.search(r"any\(\s*'?([\w-]+)", match.group(0))[1]
        return "x"

    return ARGUMENT.sub(fill, rule.rule)


def ask(world, method: str, url: str, params: dict | None = None):
    if url.startswith("/api/"):
        return world["client"].open(
            url, method=method, query_string=params, headers=bearer(world["token"])
        )
    return world["client"].open(url, method=method, query_string=params)


def assert_clear_refusal(response, url: str, allowed=(400, 404)) -> None:
    assert response.status_code in allowed, (url, response.status_code)
    if url.startswith("/api/"):
        error = response.get_json()["error"]
        assert error["code"] and error["message"], url
    else:
        assert "text/html" in response.content_type, url


def routes(app, *, with_int_arguments: bool = False):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if with_int_arguments and not any(
            isinstance(c, IntegerConverter) for c in rule._converters.values()
        ):
            continue
        yield rule


def test_every_integer_route_argument_refuses_malformed_numbers(app, world):
    tried = 0
    for rule in routes(app, with_int_arguments=True):
        ints = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for name in ints:
                for value in BAD_NUMBERS:
                    url = build(rule, world["ids"], name, value)
                    assert_clear_refusal(ask(world, method, url), url)
                    tried += 1
                # The largest id a row can have is a valid address of nothing.
                url = build(rule, world["ids"], name, str(DATABASE_ID_MAX))
                response = ask(world, method, url)
                assert response.status_code < 500, (url, response.status_code)
    assert tried > 500


def test_every_page_and_api_call_refuses_malformed_numbers_and_dates_in_its_query(app, world):
    """Every parameter at once first; where that is refused, one parameter at a time, since
    the first refusal would hide what the view does with the others."""
    refusals = (400, 403, 404, 415, 429)  # 429: the calendar feed's rate limit
    for rule in routes(app):
        if "GET" not in rule.methods or rule.rule.startswith("/admin"):
            continue
        url = build(rule, world["ids"])
        for value in BAD_NUMBERS + BAD_DATES:
            response = ask(world, "GET", url, dict.fromkeys(QUERY_PARAMETERS, value))
            if response.status_code < 400:
                continue
            for parameter in QUERY_PARAMETERS:
                response = ask(world, "GET", url, {parameter: value})
                assert response.status_code < 500, (url, parameter, value, response.status_code)
                if response.status_code >= 400:
                    assert_clear_refusal(response, url, allowed=refusals)


def test_the_audit_filters_refuse_malformed_numbers_and_dates(app, world, login):
    client = app.test_client()
    login(client, world["admin"])
    for parameter in ("group", "since", "until", "page"):
        for value in BAD_NUMBERS + BAD_DATES:
            response = client.get("/admin/audit", query_string={parameter: value})
            assert response.status_code in (200, 400), (parameter, value, response.status_code)


def test_a_month_out_of_the_calendar_is_refused_clearly(world):
    group = world["ids"]["group"]
    for month in ("1-1", "9999-12", "0001-01", "2026-13", "2026-1"):
        response = ask(world, "GET", f"/groups/{group}/meetings", {"month": month})
        assert response.status_code == 400
        assert "YYYY-MM" in response.get_data(as_text=True)
    assert ask(world, "GET", f"/groups/{group}/meetings", {"month": "2026-02"}).status_code == 200


def test_a_body_that_is_not_json_is_invalid_input(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_input"
