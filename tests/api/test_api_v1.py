"""API v1 of the foundation: status codes and bodies exactly as CONTRACT.md fixes them."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from openapi_spec_validator import validate

from tests.conftest import bearer, last_step
from tests.support.web import totp_code


def error_of(response, status: int, code: str | None = None) -> str:
    """The response is exactly the platform's error body; returns its message."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code:
        assert body["error"]["code"] == code
    assert body["error"]["message"].strip()
    return body["error"]["message"]


@pytest.fixture
def api(app):
    return app.test_client()


def test_token_is_issued_used_and_revoked(app, api, make_user):
    person = make_user(country="NL", organisation="Openbaar Ministerie")
    answer = api.post(
        "/api/v1/auth/token",
        json={
            "email": person.email,
            "password": person.password,
            "otp": totp_code(person.secret, last_step(app, person)),
        },
    )
    assert answer.status_code == 201
    body = answer.get_json()
    assert set(body) == {"token", "expires_at"}
    me = api.get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.get_json() == {
        "id": person.id,
        "email": person.email,
        "name": person.name,
        "country": "NL",
        "organisation": "Openbaar Ministerie",
        "kind": "law-enforcement",
        "role": "user",
        "language": None,  # not chosen yet: the browser's language applies
        "time_zone": "UTC",
    }
    deleted = api.delete("/api/v1/auth/token", headers=bearer(body["token"]))
    assert deleted.status_code == 204 and deleted.data == b""
    error_of(api.get("/api/v1/me", headers=bearer(body["token"])), 401, "not_authenticated")


@pytest.mark.parametrize(
    "change",
    [
        {"password": "wrong password!"},
        {"otp": "000000"},
        {"email": "nobody@agency.example"},
    ],
)
def test_token_refused_with_wrong_credentials(app, api, make_user, change):
    person = make_user()
    body = {"email": person.email, "password": person.password, "otp": "000000"}
    body["otp"] = totp_code(person.secret, last_step(app, person))
    body.update(change)
    error_of(api.post("/api/v1/auth/token", json=body), 401, "invalid_credentials")


def test_token_request_missing_a_field_is_400(api):
    message = error_of(api.post("/api/v1/auth/token", json={"email": "a@b.example"}), 400)
    assert "password" in message and "otp" in message


def test_bad_or_missing_tokens_are_401(api):
    error_of(api.get("/api/v1/me"), 401, "not_authenticated")
    error_of(api.get("/api/v1/me", headers=bearer("emisa_forged")), 401)
    error_of(api.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401)


class TestTokenExpiry:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["EMISA_TOKEN_TTL"] = timedelta(seconds=2)
        return app_config

    def test_a_token_stops_working_when_it_expires(self, api, make_user, token_for):
        token = token_for(make_user())
        assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200
        time.sleep(2.5)
        error_of(api.get("/api/v1/me", headers=bearer(token)), 401)


def test_groups_list_and_detail(app, api, make_user, make_group, token_for):
    member, outsider = make_user(), make_user()
    gid = make_group("Judicial cooperation", members={member: "coordinator"})
    other = make_group("Cyber capacities")
    listed = api.get("/api/v1/groups", headers=bearer(token_for(member))).get_json()
    roles = {g["id"]: g for g in listed}
    assert set(roles[gid]) >= {"id", "slug", "name", "my_role"}
    assert roles[gid]["my_role"] == "coordinator"
    assert roles[other]["my_role"] is None
    assert roles[gid]["slug"] == "judicial-cooperation"
    detail = api.get(f"/api/v1/groups/{gid}", headers=bearer(token_for(outsider)))
    assert detail.status_code == 200
    assert detail.get_json()["name"] == "Judicial cooperation"
    assert detail.get_json()["my_role"] is None
    error_of(api.get("/api/v1/groups/99999", headers=bearer(token_for(outsider))), 404, "not_found")


def test_creating_groups_is_for_admins(app, api, make_user, token_for):
    admin, user = token_for(make_user(admin=True)), token_for(make_user())
    body = {
        "name": "Terrorism financing II",
        "mandate": "Follow the money.",
        "allowed_countries": ["be", "NL"],
        "join_policy": "invite-only",
    }
    error_of(api.post("/api/v1/groups", headers=bearer(user), json=body), 403, "forbidden")
    created = api.post("/api/v1/groups", headers=bearer(admin), json=body)
    assert created.status_code == 201
    group = created.get_json()
    assert group["allowed_countries"] == ["BE", "NL"]
    assert group["join_policy"] == "invite-only"
    assert api.get(f"/api/v1/groups/{group['id']}", headers=bearer(admin)).status_code == 200
    error_of(api.post("/api/v1/groups", headers=bearer(admin), json=body), 409, "conflict")
    bad = dict(body, name="Another group", allowed_countries=["BE", "XX"])
    message = error_of(api.post("/api/v1/groups", headers=bearer(admin), json=bad), 400)
    assert "'XX' is not an ISO 3166-1 alpha-2 country code" in message
    policy = dict(body, name="Third group", join_policy="open")
    assert "join_policy" in error_of(
        api.post("/api/v1/groups", headers=bearer(admin), json=policy), 400, "invalid_input"
    )


def test_members_join_requests_and_decisions(app, api, make_user, make_group, token_for):
    coordinator, asker, rejected, newcomer = (make_user() for _ in range(4))
    gid = make_group(members={coordinator: "coordinator"})
    boss = bearer(token_for(coordinator))
    added = api.post(
        f"/api/v1/groups/{gid}/members",
        headers=boss,
        json={"email": newcomer.email, "role": "observer"},
    )
    assert added.status_code == 201
    assert added.get_json()["role"] == "observer"
    error_of(
        api.post(
            f"/api/v1/groups/{gid}/members",
            headers=boss,
            json={"email": newcomer.email, "role": "member"},
        ),
        409,
    )
    error_of(
        api.post(
            f"/api/v1/groups/{gid}/members",
            headers=boss,
            json={"email": "x@y.example", "role": "member"},
        ),
        404,
    )
    error_of(
        api.post(
            f"/api/v1/groups/{gid}/members",
            headers=boss,
            json={"email": asker.email, "role": "king"},
        ),
        400,
    )
    asker_headers = bearer(token_for(asker))
    error_of(
        api.post(
            f"/api/v1/groups/{gid}/join-requests", headers=asker_headers, json={"motivation": "hi"}
        ),
        400,
    )
    made = api.post(
        f"/api/v1/groups/{gid}/join-requests",
        headers=asker_headers,
        json={"motivation": "I prosecute these cases."},
    )
    assert made.status_code == 201
    request_id = made.get_json()["id"]
    error_of(
        api.post(
            f"/api/v1/groups/{gid}/join-requests",
            headers=asker_headers,
            json={"motivation": "I prosecute these cases."},
        ),
        409,
    )
    # The requester cannot approve their own request.
    error_of(api.post(f"/api/v1/join-requests/{request_id}/approve", headers=asker_headers), 403)
    approved = api.post(f"/api/v1/join-requests/{request_id}/approve", headers=boss)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    error_of(api.post(f"/api/v1/join-requests/{request_id}/approve", headers=boss), 409)
    mine = api.get("/api/v1/groups", headers=asker_headers).get_json()
    assert next(g for g in mine if g["id"] == gid)["my_role"] == "member"

    other = bearer(token_for(rejected))
    second = api.post(
        f"/api/v1/groups/{gid}/join-requests",
        headers=other,
        json={"motivation": "Please let me in."},
    ).get_json()["id"]
    error_of(api.post(f"/api/v1/join-requests/{second}/reject", headers=boss, json={}), 400)
    answer = api.post(
        f"/api/v1/join-requests/{second}/reject", headers=boss, json={"reason": "Judges only."}
    )
    assert answer.status_code == 200
    assert (answer.get_json()["status"], answer.get_json()["reason"]) == (
        "rejected",
        "Judges only.",
    )
    error_of(api.post("/api/v1/join-requests/99999/approve", headers=boss), 404)


def test_openapi_document_is_valid_and_lists_every_contract_path(api):
    answer = api.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    spec = answer.get_json()
    validate(spec)
    paths = set(spec["paths"])
    contract = {
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/groups",
        "/api/v1/groups/{gid}",
        "/api/v1/groups/{gid}/members",
        "/api/v1/groups/{gid}/join-requests",
        "/api/v1/join-requests/{request_id}/approve",
        "/api/v1/join-requests/{request_id}/reject",
    }
    assert contract <= paths
    assert {"post", "delete"} <= set(spec["paths"]["/api/v1/auth/token"])
    assert spec["paths"]["/api/v1/auth/token"]["post"]["security"] == []
    assert "bearerAuth" in spec["components"]["securitySchemes"]
