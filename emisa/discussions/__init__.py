"""Threaded discussions: Markdown posts, nesting, mentions, moderation."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from emisa.api import register_api_blueprint
    from emisa.crypto import keyring
    from emisa.discussions import api, commands  # noqa: F401  (commands register themselves)
    from emisa.discussions.attachments import unlink_document
    from emisa.discussions.models import Thread
    from emisa.discussions.operations import delete_group_content, reseal_group
    from emisa.discussions.search import register as register_search
    from emisa.discussions.views import bp
    from emisa.groups.tabs import register_tab
    from emisa.notifications.operations import register_item
    from emisa.signals import content_removed, group_deleting

    app.register_blueprint(bp)
    register_api_blueprint(api.blp)
    register_tab("discussions.index", _l("Discussions"))
    keyring.on_group_key_rotation(reseal_group)
    group_deleting.connect(delete_group_content, weak=False)
    content_removed.connect(unlink_document, weak=False)
    register_search()
    register_item("thread", Thread, "read")
