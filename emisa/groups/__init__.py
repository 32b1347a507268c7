"""Working groups: membership, join requests, the dashboard."""

from flask import Flask


def init_app(app: Flask) -> None:
    from emisa.groups import commands  # noqa: F401  (registers the CLI commands)
    from emisa.groups.views import bp

    app.register_blueprint(bp)
