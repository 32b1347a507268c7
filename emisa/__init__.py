"""EMISA: secure information sharing for counter-terrorism and criminal-justice working groups."""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from emisa.settings import build_config

ROOT = Path(__file__).resolve().parent.parent

# Feature packages; each exposes ``init_app(app)`` registering its blueprints, rules and commands.
FEATURES = (
    "emisa.ui",
    "emisa.useragents",
    "emisa.accounts",
    "emisa.groups",
    "emisa.audit.views",
    "emisa.api",
    "emisa.meetings",
    "emisa.documents",
    "emisa.library",
    "emisa.people",
    "emisa.notifications",
    "emisa.search",
    "emisa.discussions",
    "emisa.backup",
)


def create_app(config: dict | None = None) -> Flask:
    from emisa import admission, i18n, limits
    from emisa.accesslog import redact_werkzeug_log
    from emisa.crypto import keyring
    from emisa.database import MIGRATIONS_DIR, init_boundary, init_database
    from emisa.errors import register_error_handlers
    from emisa.extensions import (
        api,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
        skip_empty_limit_check,
        socketio,
    )
    from emisa.json_provider import OrjsonProvider
    from emisa.realtime import ResilientRedisManager
    from emisa.security import register_security_headers
    from emisa.storage import blobs
    from emisa.web import DatabaseIdConverter

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(build_config(config))
    app.url_map.converters["int"] = DatabaseIdConverter
    app.json = OrjsonProvider(app)
    # Keys in the order the code builds them: sorting every object of a long API answer
    # costs more than the rest of encoding it.
    app.json.sort_keys = False
    db.init_app(app)
    init_database(app)
    # Batch mode lets SQLite run ALTER TABLE migrations (it rebuilds the table).
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    keyring.init_app(app)
    blobs.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # Before Socket.IO wraps the app: its WebSockets and long polls must never wait for a slot.
    admission.init_app(app)
    queue = app.config["EMISA_REDIS_URL"]
    socketio.init_app(
        app,
        async_mode="threading",
        # Without a queue, Flask-SocketIO's default: this process's clients only.
        **({"client_manager": ResilientRedisManager(queue)} if queue else {}),
        # None: only same-origin browsers may connect; never a wildcard.
        cors_allowed_origins=None,
        max_http_buffer_size=256 * 1024,
        # Each client's events run one after the other, in the order they arrived, in the
        # thread reading its connection (python-socketio starts a thread per event otherwise):
        # an offer and its first candidate, a camera started then stopped, must not overtake
        # each other on their way to the database and Janus.
        async_handlers=False,
    )
    limits.init_app(app)
    # Outermost, so that the per-address limits of Socket.IO see the client's address too.
    proxies = int(app.config.get("EMISA_TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    api.init_app(app)
    register_security_headers(app)
    redact_werkzeug_log()
    register_error_handlers(app)

    from emisa.cli import emisa_cli
    from emisa.crypto import commands  # noqa: F401  (registers the key commands)

    app.cli.add_command(emisa_cli)
    for feature in FEATURES:
        importlib.import_module(feature).init_app(app)
    skip_empty_limit_check(app)
    # Last, so that it runs first among the after-request hooks: they see the committed state.
    init_boundary(app)
    return app
