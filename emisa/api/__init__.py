"""JSON API v1 under /api/v1, documented by the OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from emisa.extensions import api, csrf

# The only API endpoints a caller without a usable account may reach.
PUBLIC_ENDPOINTS = {"api_auth.create_token", "api-docs.openapi_json"}


def _deny_by_default() -> None:
    """Refuse unusable callers before the body is parsed or anything is looked up.

    Without this an anonymous caller got 400 (field errors) or 404 (a lookup) instead of 401,
    and an endpoint that forgot its own check would have served anyone.
    """
    if request.path.startswith("/api/") and request.endpoint not in PUBLIC_ENDPOINTS | {None}:
        from emisa.access import require

        require(current_user, "use")


def register_api_blueprint(blueprint) -> None:
    """Register a feature's API blueprint: bearer tokens only, so no CSRF token is needed."""
    csrf.exempt(blueprint)
    api.register_blueprint(blueprint)


def init_app(app: Flask) -> None:
    from emisa.api import auth, groups

    for module in (auth, groups):
        register_api_blueprint(module.blp)
    app.before_request(_deny_by_default)
