"""In-app notifications: the bell, the inbox, settings, followed groups, email."""

from flask import Flask


def unread() -> int:
    """The signed-in user's unread notices, counted once per request (menu and bell)."""
    from flask import g
    from flask_login import current_user

    from emisa.notifications.operations import unread_count

    if "emisa_unread" not in g:
        g.emisa_unread = unread_count(current_user.id)
    return g.emisa_unread


def _deliver(response):
    """After the request's commit: mail the notices wanted immediately (never fails it)."""
    from emisa.notifications.operations import deliver_after_commit

    deliver_after_commit()
    return response


def init_app(app: Flask) -> None:
    from emisa.notifications import commands  # noqa: F401  (registers the CLI command)
    from emisa.notifications.operations import forget_follow, on_notify
    from emisa.notifications.views import bp
    from emisa.signals import membership_ended, notify

    app.register_blueprint(bp)
    app.after_request(_deliver)
    notify.connect(on_notify, weak=False)
    membership_ended.connect(forget_follow, weak=False)
    # The bell in the top bar: counted when a page shows it (signed-in pages only).
    app.add_template_global(unread, "unread_notifications")
