"""One place that turns every error into a page or a JSON error, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from emisa.access import AccessDenied
from emisa.database import roll_back_request
from emisa.limits import body_too_large_message
from emisa.operations import OperationError
from emisa.web import refusal_answer, wants_json

log = logging.getLogger(__name__)

ERROR_CODES = {
    400: "invalid_input",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_attempts",
    500: "internal_error",
    503: "service_unavailable",
}
# Lazy: each answer says it in the language of the request it answers.
MESSAGES = {
    400: _l("The request was not valid."),
    401: _l("Sign in first."),
    403: _l("You are not allowed to do this."),
    404: _l("Nothing was found here, or you are not allowed to see it."),
    405: _l("This method is not allowed here."),
    409: _l("This conflicts with the current state."),
    413: _l("The upload is larger than allowed."),
    429: _l("Too many attempts. Try again later."),
    500: _l("Something went wrong on our side; nothing you sent was half-stored."),
}


def json_error(status: int, message: str | None = None, code: str | None = None, headers=None):
    body = {
        "error": {
            "code": code or ERROR_CODES.get(status, "error"),
            "message": str(message or MESSAGES.get(status) or _("Error.")),
        }
    }
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(status: int, message: str | None = None, code: str | None = None, headers=None):
    """A JSON error for the API, a page for the browser."""
    if wants_json():
        return json_error(status, message, code, headers)
    body = render_template(
        "errors.html", status=status, message=message or MESSAGES.get(status) or _("Error.")
    )
    return body, status, headers or {}


def _validation_message(error: HTTPException) -> str:
    messages = getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
    if not messages:
        return _(error.description) if isinstance(error.description, str) else MESSAGES[400]
    parts = []
    for location, fields in messages.items():
        if not isinstance(fields, dict):
            # The body as a whole (e.g. not JSON at all): webargs lists its problems directly.
            fields = {location: fields}
        for name, problems in fields.items():
            text = problems[0] if isinstance(problems, list) else str(problems)
            parts.append(f"{name}: {_(text)}")
    return _("Invalid input: %(problems)s", problems="; ".join(parts))


def handle_http_error(error: HTTPException):
    status = error.code or 500
    if status in (400, 422):
        return error_response(400, _validation_message(error), "invalid_input")
    message = _(error.description) if status in (409, 413, 400) else None
    if type(error) is RequestEntityTooLarge:
        # Werkzeug's own refusal of a body over the request's limit.
        message = body_too_large_message()
    if status == 429:
        message = _("Too many requests (%(limit)s). Try again later.", limit=error.description)
    return error_response(status, message)


def handle_method_not_allowed(error: MethodNotAllowed):
    """405 names the methods the address does answer, as RFC 9110 requires."""
    return error_response(405, headers={"Allow": ", ".join(error.valid_methods or ())})


def handle_access_denied(error: AccessDenied):
    decision = error.decision
    if decision.status == 401 and not wants_json():
        flash(_(decision.reason), "warning")
        return redirect(url_for("auth.login", next=request.full_path))
    # The policy's reasons are English (they are audited); the person reads them translated.
    message = _(decision.reason) if decision.status != 404 else None
    # The policy answers 500 only when an item's marking fails its integrity check.
    code = "integrity_failure" if decision.status == 500 else None
    return error_response(decision.status, message, code)


def handle_operation_error(error: OperationError):
    """A refused operation: a JSON error for the API; for a page, what the view asked
    (``emisa.web.on_refusal``: back to a page or the form again, the message flashed) or an
    error page with the status. What the request wrote is rolled back first, so that the
    answer never shows it."""
    roll_back_request()
    if wants_json():
        return json_error(error.status, error.message, error.code)
    answer = refusal_answer()
    if answer is None:
        return error_response(error.status, error.message, error.code)
    flash(str(error.message), "danger")
    if isinstance(answer, str):
        return redirect(answer, 303)
    return answer(error.status)


def handle_csrf(error: CSRFError):
    return error_response(
        400, _("The form expired or was sent from elsewhere. Reload the page and try again.")
    )


def handle_database_unavailable(error: OperationalError):
    """The database is down, restarting or unreachable: say so at once; the pool reconnects
    by itself (``pool_pre_ping``) when it is back."""
    log.error("database unavailable: %s", error.orig)
    return error_response(
        503,
        _(
            "The platform cannot reach its database right now, so nothing was read or changed. "
            "Try again in a minute."
        ),
        "service_unavailable",
        headers={"Retry-After": "10"},
    )


def handle_unexpected(error: Exception):
    log.exception("unhandled error")
    return error_response(500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(OperationError, handle_operation_error)
    app.register_error_handler(AccessDenied, handle_access_denied)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(MethodNotAllowed, handle_method_not_allowed)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
