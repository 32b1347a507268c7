"""The network's people: profiles, the directory and national contact points."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from emisa.api import register_api_blueprint
    from emisa.people import api, commands, views  # noqa: F401  (commands registers the CLI)
    from emisa.ui import register_nav

    app.register_blueprint(views.bp)
    register_api_blueprint(api.blp)
    register_nav("people.directory", _l("People"))
    register_nav("people.networks", _l("Contact points"))
