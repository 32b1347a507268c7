"""``/auth/token`` and ``/me``: sign in with password and TOTP code, get a bearer token."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields

from emisa import audit
from emisa.access import require
from emisa.accounts.login import LoginFailed, check_code, check_password
from emisa.accounts.preferences import PreferenceError, set_preferences, time_zones
from emisa.accounts.sessions import issue_token, revoke
from emisa.api.blueprint import api_blueprint, errors
from emisa.database import keep_before_refusal
from emisa.errors import json_error
from emisa.extensions import limiter
from emisa.i18n import LANGUAGES

_WRONG_CREDENTIALS = _l("Wrong email, password or code.")

blp = api_blueprint("api_auth", __name__, "Bearer tokens and the caller's account")


class TokenRequest(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    otp = fields.String(
        required=True, load_only=True, metadata={"description": "TOTP or recovery code"}
    )
    name = fields.String(load_default="API token", metadata={"description": "label for the token"})


class TokenResponse(Schema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class Me(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    country = fields.String()
    organisation = fields.String()
    kind = fields.String()
    role = fields.String()
    language = fields.String(
        allow_none=True,
        metadata={"description": "Interface language (en, fr, ar, tr); null: the browser's"},
    )
    time_zone = fields.String(metadata={"description": "IANA time zone, e.g. Europe/Brussels"})


class MePatch(Schema):
    """The values ``set_preferences`` accepts, stated for the document (it keeps the refusal
    messages: the schema only names the choices)."""

    language = fields.String(
        metadata={
            "description": "Interface language: one of " + ", ".join(LANGUAGES),
            "enum": list(LANGUAGES),
        }
    )
    time_zone = fields.String(
        metadata={
            "description": "IANA time zone name, e.g. Europe/Brussels or Asia/Amman",
            "enum": time_zones(),
        }
    )


@blp.route("/auth/token", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(TokenRequest)
@blp.response(201, TokenResponse)
@errors(blp, 400, 401, 403, 429)
@limiter.limit("60 per minute")
def create_token(body):
    """Exchange email, password and a current TOTP code for a bearer token."""
    try:
        user = check_password(body["email"], body["password"])
        if not user.totp_enrolled_at:
            raise LoginFailed(
                _("Enrol two-factor sign-in in the browser first."),
                status=403,
                code="totp_not_enrolled",
            )
        check_code(user, body["otp"])
    except LoginFailed as failure:
        keep_before_refusal()  # the failed attempt is counted, a spent code stays spent
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else None
        if failure.status == 401:
            # Both factors arrive together: one answer for either, so the password's
            # correctness never shows on its own.
            return json_error(401, str(_WRONG_CREDENTIALS), "invalid_credentials")
        code = failure.code or {429: "too_many_attempts"}.get(failure.status)
        return json_error(failure.status, failure.message, code, headers)
    token, plain = issue_token(user, body["name"])
    audit.record("auth.token_issued", actor=user, target=user, details={"name": token.name})
    return {"token": plain, "expires_at": token.expires_at}


@blp.route("/auth/token", methods=["DELETE"])
@blp.response(204)
@errors(blp, 401)
def delete_token():
    """Revoke the token this request is made with."""
    require(current_user, "use")
    token = current_user.api_token
    if token is None:
        abort(401)
    revoke(token)
    audit.record("auth.token_revoked", target=current_user, details={"token_id": token.id})


@blp.route("/me")
@blp.response(200, Me)
@errors(blp, 401)
def me():
    """The caller's own account."""
    require(current_user, "use")
    return current_user


@blp.route("/me", methods=["PATCH"])
@blp.arguments(MePatch)
# The document says what the view refuses: an empty object.
@blp.doc(
    requestBody={
        "content": {"application/json": {"schema": {"allOf": [MePatch], "minProperties": 1}}}
    }
)
@blp.response(200, Me)
@errors(blp, 400, 401)
def update_me(body):
    """Change the caller's interface language and/or time zone; answers the account."""
    require(current_user, "use")
    if not body:
        abort(400, _("Send language, time_zone or both."))
    try:
        set_preferences(current_user, **body)
    except PreferenceError as error:
        return json_error(400, f"{error.field}: {error.message}", "invalid_input")
    return current_user
