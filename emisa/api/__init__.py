"""JSON API v1 under /api/v1, documented by the OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask

from emisa.extensions import api, csrf


def register_api_blueprint(blueprint) -> None:
    """Register a feature's API blueprint: bearer tokens only, so no CSRF token is needed."""
    csrf.exempt(blueprint)
    api.register_blueprint(blueprint)


def init_app(app: Flask) -> None:
    from emisa.api import auth, groups

    for module in (auth, groups):
        register_api_blueprint(module.blp)
