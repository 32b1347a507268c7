"""Working groups: membership, join requests, the dashboard."""

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_login import current_user

    from emisa.groups import commands  # noqa: F401  (registers the CLI commands)
    from emisa.groups.models import WorkingGroup
    from emisa.groups.tabs import tabs_for
    from emisa.groups.views import bp
    from emisa.notifications.operations import register_item

    app.register_blueprint(bp)
    # Every group page renders "groups/_header.html", which asks for the tabs itself.
    app.jinja_env.globals["group_tabs"] = lambda group: tabs_for(current_user, group)
    register_item("group", WorkingGroup, "view")
