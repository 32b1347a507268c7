"""Search over encrypted content through a keyed blind index (see ``index``)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from emisa.api import register_api_blueprint
    from emisa.crypto import keyring
    from emisa.search import api
    from emisa.search.index import (
        on_content_changed,
        on_content_removed,
        on_group_deleting,
        reseal_index_key,
    )
    from emisa.search.views import bp
    from emisa.signals import content_changed, content_removed, group_deleting

    app.register_blueprint(bp)
    register_api_blueprint(api.blp)
    keyring.on_group_key_rotation(reseal_index_key)
    content_changed.connect(on_content_changed, weak=False)
    content_removed.connect(on_content_removed, weak=False)
    group_deleting.connect(on_group_deleting, weak=False)
