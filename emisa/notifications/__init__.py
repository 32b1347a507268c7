"""In-app notifications: the bell, the inbox, settings, followed groups, the daily digest."""

from flask import Flask


def _bell_label() -> str:
    from flask import g
    from flask_login import current_user

    from emisa.notifications.operations import unread_count

    if "emisa_unread" not in g:
        g.emisa_unread = unread_count(current_user.id)
    count = g.emisa_unread
    # Plain text: a bell emoji is a missing glyph on systems without an emoji font.
    return f"Notifications ({count})" if count else "Notifications"


def init_app(app: Flask) -> None:
    from emisa.notifications import commands  # noqa: F401  (registers the CLI command)
    from emisa.notifications.operations import forget_follow, on_notify
    from emisa.notifications.views import bp
    from emisa.signals import membership_ended, notify
    from emisa.ui import register_nav

    app.register_blueprint(bp)
    notify.connect(on_notify, weak=False)
    membership_ended.connect(forget_follow, weak=False)
    register_nav("notifications.index", _bell_label)
