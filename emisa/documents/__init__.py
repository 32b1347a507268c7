"""The encrypted document space: uploads, versions, markings, re-sharing, fsck."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from emisa.api import register_api_blueprint
    from emisa.crypto import keyring
    from emisa.documents import api, commands, operations  # noqa: F401  (commands register)
    from emisa.documents.errors import register_error_handlers
    from emisa.documents.models import Document
    from emisa.documents.search import register as register_search
    from emisa.documents.views import bp
    from emisa.groups.tabs import register_tab
    from emisa.notifications.operations import register_item
    from emisa.signals import group_deleting

    app.register_blueprint(bp)
    register_api_blueprint(api.blp)
    register_tab("documents.index", _l("Documents"))
    register_error_handlers(app)
    keyring.on_group_key_rotation(operations.rewrap_after_rotation)
    group_deleting.connect(_on_group_deleting, weak=False)
    register_item("document", Document, "read")
    register_search()


def _on_group_deleting(_sender, group_id: int, **_kwargs) -> None:
    from emisa.documents.operations import delete_group_documents

    delete_group_documents(group_id)
