"""The cross-group best-practice library, and its public page of published TLP:CLEAR documents."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from emisa.library.views import bp
    from emisa.ui import register_nav

    app.register_blueprint(bp)
    register_nav("library.index", _l("Library"))
