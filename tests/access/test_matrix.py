"""The authorization matrix: every page and API endpoint of the foundation x every kind of person.

ONE table drives it. Each row names a request and what each persona must get; the four
personas who may do nothing (anonymous, password-only, suspended, expired) default to being
sent to sign in (pages) or 401 (API). Rows that change state get fresh targets per persona,
so no cell depends on another. A completeness test fails when a foundation endpoint has no
row, so a new endpoint cannot ship without its expectations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import Blueprint
from flask_login import login_required

from emisa.groups.models import WorkingGroup
from emisa.web import load_checked
from tests.access.world import (
    ALLOWED,
    API_REFUSAL,
    CSRF_FIELDS,
    PAGE_REFUSAL,
    PERSONAS,
    World,
    api_sign_in,
    outcome,
)
from tests.conftest import bearer

ROLES = ("non_member", "wrong_country", "observer", "member", "coordinator", "admin")


def by_role(*statuses) -> dict:
    """Expected answers for non_member, wrong_country, observer, member, coordinator, admin."""
    assert len(statuses) == len(ROLES)
    return dict(zip(ROLES, statuses, strict=True))


def everyone(status) -> dict:
    return dict.fromkeys(ROLES, status)


ADMIN_ONLY_PAGE = by_role(403, 403, 403, 403, 403, 200)
# Coordinators and admins manage members; a wrong-country user does not see the group (404).
MANAGERS_PAGE = by_role(403, 404, 403, 403, 302, 302)
MANAGERS_API = by_role(403, 404, 403, 403, 200, 200)
GROUP_ADMIN_PAGE = by_role(403, 404, 403, 403, 403, 302)


@dataclass
class Row:
    name: str  # the endpoint
    method: str
    # Builds the path (and body) for one persona; gets the world, returns (path, body).
    target: Callable[[World], tuple[str, dict | None]]
    expect: dict
    endpoint: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def api(self) -> bool:
        return self.name.startswith("api_")


def at(path: str, body: dict | None = None):
    """A target whose path may use {g} (the world's group)."""
    return lambda w: (path.format(g=w.group_id), body)


def fresh(path: str, body: dict | None = None):
    """Like ``at`` on a new group with the same people, for requests that change membership."""
    return lambda w: (path.format(g=w.new_group()), body)


def group_form(w: World) -> tuple[str, dict]:
    return (
        f"/groups/{w.group_id}/edit",
        {
            "name": w.group_name(w.group_id),
            "mandate": "Same group",
            "allowed_countries": ALLOWED,
            "join_policy": "request",
        },
    )


def deletion(w: World) -> tuple[str, dict]:
    gid = w.new_group()
    return f"/groups/{gid}/delete", {"confirm_name": w.group_name(gid)}


def new_account(w: World) -> tuple[str, dict]:
    n = w.newcomer()
    return "/admin/accounts/invite", {
        "email": "new-" + n.email,
        "name": "New Person",
        "organisation": "Agency",
        "country": "BE",
        "kind": "law-enforcement",
        "role": "user",
    }


def account_of(suffix: str, body: dict | None = None, **state):
    def build(w: World) -> tuple[str, dict | None]:
        person = w.newcomer(**state)
        return f"/admin/accounts/{person.id}{suffix}", dict(body or {})

    return build


def newcomer_email(role: str, api: bool):
    def build(w: World):
        person = w.newcomer()
        path = f"/api/v1/groups/{w.group_id}/members" if api else f"/groups/{w.group_id}/members"
        return path, {"email": person.email, "role": role}

    return build


def membership(suffix: str, body: dict):
    return lambda w: (f"/groups/{w.group_id}/members/{w.membership()}/{suffix}", body)


def join_request(decision: str, body: dict, api: bool = False):
    prefix = "/api/v1" if api else ""
    return lambda w: (f"{prefix}/join-requests/{w.join_request()}/{decision}", body)


MOTIVATION = {"motivation": "I lead the national unit on this topic."}
WRONG_REAUTH = {"current_password": "not the password", "code": "000000"}
FOREIGN_SESSION = lambda w: (f"/account/sessions/{w.foreign_session()}/revoke", {})  # noqa: E731
FOREIGN_TOKEN = lambda w: (f"/account/tokens/{w.foreign_token()}/revoke", {})  # noqa: E731
WRONG_PASSWORD_CHANGE = {
    "pw-current_password": "not the password",
    "pw-password": "a brand new passphrase",
    "pw-confirm": "a brand new passphrase",
}

TABLE = [
    # --- pages ----------------------------------------------------------------------------
    Row("groups.dashboard", "GET", at("/"), everyone(200)),
    Row("groups.index", "GET", at("/groups"), everyone(200)),
    Row("groups.detail", "GET", at("/groups/{g}"), by_role(200, 404, 200, 200, 200, 200)),
    Row("groups.create", "GET", at("/groups/new"), ADMIN_ONLY_PAGE),
    Row(
        "groups.create",
        "POST",
        lambda w: (
            "/groups/new",
            {"name": f"Created by a test {w.newcomer().id}", "join_policy": "request"},
        ),
        by_role(403, 403, 403, 403, 403, 302),
    ),
    Row("groups.edit", "GET", at("/groups/{g}/edit"), by_role(403, 404, 403, 403, 403, 200)),
    Row("groups.edit", "POST", group_form, GROUP_ADMIN_PAGE),
    Row("groups.delete", "POST", deletion, GROUP_ADMIN_PAGE),
    # Members are already in (409); the admin is from a country the group is not open to.
    Row(
        "groups.request_join",
        "POST",
        fresh("/groups/{g}/join", MOTIVATION),
        by_role(302, 404, 409, 409, 409, 403),
    ),
    Row("groups.decide", "POST", join_request("approve", {}), MANAGERS_PAGE),
    Row("groups.decide", "POST", join_request("reject", {"reason": "Not now."}), MANAGERS_PAGE),
    Row("groups.add_member", "POST", newcomer_email("member", api=False), MANAGERS_PAGE),
    Row("groups.change_role", "POST", membership("role", {"role": "observer"}), MANAGERS_PAGE),
    Row("groups.remove_member", "POST", membership("remove", {}), MANAGERS_PAGE),
    # Non-members cannot leave (409); the last-coordinator rule is tested in tests/groups.
    Row(
        "groups.leave",
        "POST",
        fresh("/groups/{g}/leave", {}),
        by_role(409, 404, 302, 302, 302, 409),
    ),
    Row("auth.account", "GET", at("/account"), everyone(200)),
    # Each account sets only its own language, zone and digits; there is no one else's form.
    Row(
        "auth.preferences",
        "POST",
        at(
            "/account/preferences",
            {"pf-language": "en", "pf-time_zone": "UTC", "pf-digits": "latn"},
        ),
        everyone(302),
    ),
    Row("auth.welcome", "GET", at("/account/welcome"), everyone(200)),
    Row(
        "auth.change_password",
        "POST",
        at("/account/password", WRONG_PASSWORD_CHANGE),
        everyone(400),
    ),
    Row(
        "auth.regenerate_recovery_codes",
        "POST",
        at("/account/recovery-codes", {f"rc-{k}": v for k, v in WRONG_REAUTH.items()}),
        everyone(400),
    ),
    Row(
        "auth.reenrol_totp",
        "POST",
        at("/account/totp", {f"re-{k}": v for k, v in WRONG_REAUTH.items()}),
        everyone(400),
    ),
    # Nobody can end someone else's session or revoke someone else's token.
    Row("auth.revoke_session", "POST", FOREIGN_SESSION, everyone(404)),
    Row("auth.create_token", "POST", at("/account/tokens", {"tk-name": "laptop"}), everyone(200)),
    Row("auth.revoke_token", "POST", FOREIGN_TOKEN, everyone(404)),
    # Signed-in accounts without a pending enrolment are sent on to the dashboard.
    Row("auth.enrol", "GET", at("/enrol"), everyone(302)),
    Row("auth.code", "GET", at("/login/code"), everyone(302), extra={"password_only": 200}),
    Row("admin.accounts", "GET", at("/admin/accounts"), ADMIN_ONLY_PAGE),
    Row("admin.invite", "GET", at("/admin/accounts/invite"), ADMIN_ONLY_PAGE),
    Row("admin.invite", "POST", new_account, ADMIN_ONLY_PAGE),
    Row("admin.account", "GET", account_of(""), ADMIN_ONLY_PAGE),
    Row(
        "admin.account_action",
        "POST",
        account_of("/suspend"),
        by_role(403, 403, 403, 403, 403, 302),
    ),
    Row(
        "admin.account_action",
        "POST",
        account_of("/reactivate", state="suspended"),
        by_role(403, 403, 403, 403, 403, 302),
    ),
    Row(
        "admin.account_action",
        "POST",
        account_of("/reset-2fa"),
        by_role(403, 403, 403, 403, 403, 302),
    ),
    Row(
        "admin.account_expiry",
        "POST",
        account_of("/expiry"),
        by_role(403, 403, 403, 403, 403, 302),
    ),
    Row(
        "admin.account_details",
        "POST",
        account_of("/details", {"name": "Corrected", "organisation": "Agency", "country": "NL"}),
        by_role(403, 403, 403, 403, 403, 302),
    ),
    # Granting the admin role needs the acting admin's password and code.
    Row(
        "admin.account_role",
        "POST",
        account_of("/role", {"role": "admin", **WRONG_REAUTH}),
        by_role(403, 403, 403, 403, 403, 400),
    ),
    Row(
        "admin.reissue_invitation",
        "POST",
        account_of("/invitation", state="invited"),
        ADMIN_ONLY_PAGE,
    ),
    Row("audit.index", "GET", at("/admin/audit"), ADMIN_ONLY_PAGE),
    Row("audit.verify", "GET", at("/admin/audit/verify"), ADMIN_ONLY_PAGE),
    # Group actions every content feature relies on, through a test-only probe page.
    Row(
        "probe.read_content",
        "GET",
        at("/_probe/read_content/{g}"),
        by_role(403, 404, 200, 200, 200, 403),
    ),
    Row(
        "probe.contribute",
        "GET",
        at("/_probe/contribute/{g}"),
        by_role(403, 404, 403, 200, 200, 403),
    ),
    Row("probe.moderate", "GET", at("/_probe/moderate/{g}"), by_role(403, 404, 403, 403, 200, 403)),
    # --- API v1 ---------------------------------------------------------------------------
    Row("api_auth.me", "GET", at("/api/v1/me"), everyone(200)),
    Row("api_auth.update_me", "PATCH", at("/api/v1/me", {"time_zone": "UTC"}), everyone(200)),
    Row("api_auth.delete_token", "DELETE", at("/api/v1/auth/token"), everyone(204)),
    Row("api_groups.list_groups", "GET", at("/api/v1/groups"), everyone(200)),
    Row(
        "api_groups.create_group",
        "POST",
        lambda w: ("/api/v1/groups", {"name": f"API group {w.newcomer().id}"}),
        by_role(403, 403, 403, 403, 403, 201),
    ),
    Row(
        "api_groups.get_group",
        "GET",
        at("/api/v1/groups/{g}"),
        by_role(200, 404, 200, 200, 200, 200),
    ),
    Row(
        "api_groups.list_members",
        "GET",
        at("/api/v1/groups/{g}/members"),
        by_role(403, 404, 200, 200, 200, 200),
    ),
    Row(
        "api_groups.add_member",
        "POST",
        newcomer_email("observer", api=True),
        by_role(403, 404, 403, 403, 201, 201),
    ),
    Row(
        "api_groups.create_join_request",
        "POST",
        fresh("/api/v1/groups/{g}/join-requests", MOTIVATION),
        by_role(201, 404, 409, 409, 409, 403),
    ),
    Row(
        "api_groups.list_join_requests", "GET", at("/api/v1/groups/{g}/join-requests"), MANAGERS_API
    ),
    Row("api_groups.approve", "POST", join_request("approve", {}, api=True), MANAGERS_API),
    Row(
        "api_groups.reject",
        "POST",
        join_request("reject", {"reason": "No."}, api=True),
        MANAGERS_API,
    ),
]

# Reachable without signing in, on purpose; everything else is in TABLE.
# The language switch sets a cookie for anyone; only a fully signed-in account keeps it.
PUBLIC = {
    "auth.login",
    "auth.logout",
    "auth.invitation",
    "auth.language",
    "api_auth.create_token",
}
FOUNDATION_BLUEPRINTS = {"auth", "admin", "groups", "audit", "api_auth", "api_groups"}


def expected(row: Row) -> dict:
    refusal = API_REFUSAL if row.api else PAGE_REFUSAL
    return {**refusal, **row.expect, **row.extra}


def _probe_blueprint() -> Blueprint:
    probe = Blueprint("probe", __name__)
    for action in ("read_content", "contribute", "moderate"):

        def view(group_id: int, action=action):
            load_checked(WorkingGroup, group_id, action)
            return "allowed"

        probe.add_url_rule(
            f"/_probe/{action}/<int:group_id>", action, login_required(view), methods=["GET"]
        )
    return probe


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, schema_template):
    """One platform for the whole table: rows that change state get fresh targets."""
    from tests.conftest import module_platform

    with module_platform(tmp_path_factory, schema_template, "matrix") as (app, _config):
        app.register_blueprint(_probe_blueprint())
        world = World.build(app)
        clients, tokens = world.sign_everyone_in()
        yield world, clients, tokens


def _request(client, row: Row, path: str, body: dict | None, *, csrf=None, token=None):
    if row.api:
        headers = bearer(token) if token else {}
        kwargs = {"json": body} if body is not None else {}
        return client.open(path, method=row.method, headers=headers, **kwargs)
    if row.method == "GET":
        return client.get(path)
    data = {**(body or {}), **dict.fromkeys(CSRF_FIELDS, csrf)}
    return client.open(path, method=row.method, data=data)


@pytest.mark.parametrize("row", TABLE, ids=lambda r: f"{r.method} {r.name}")
def test_authorization_matrix(matrix, row):
    world, clients, tokens = matrix
    seen = {}
    for persona in PERSONAS:
        path, body = row.target(world)
        client, csrf = clients[persona]
        if row.api:
            # A fresh client, except for password-only, whose only credential is its cookie.
            client = client if persona == "password_only" else world.app.test_client()
            answer = _request(client, row, path, body, token=tokens[persona])
            if row.method == "DELETE" and answer.status_code == 204:
                tokens[persona] = api_sign_in(world.app, world.people[persona])
        else:
            answer = _request(client, row, path, body, csrf=csrf)
        seen[persona] = outcome(answer)
    assert seen == expected(row)


def test_every_foundation_endpoint_has_a_row(matrix):
    endpoints = {rule.endpoint for rule in matrix[0].app.url_map.iter_rules()}
    foundation = {e for e in endpoints if e.split(".")[0] in FOUNDATION_BLUEPRINTS}
    covered = {row.name for row in TABLE}
    assert foundation - PUBLIC - covered == set()
    # The table names no endpoint that does not exist (apart from the test probes).
    assert {n for n in covered if not n.startswith("probe.")} <= endpoints
