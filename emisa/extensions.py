"""Flask extensions, created unbound here and bound to the app in create_app()."""

import logging
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are declared per endpoint; storage (memory or Redis) is chosen from the config.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class SharedWindows:
    """Moving-window counters (sign-in lockout, chat rate) kept where Flask-Limiter keeps
    its limits (Redis when scaled out), or in this process's memory while that storage cannot
    be reached: counting goes on per process, and back to the shared counts once it answers."""

    RETRY_SECONDS = 2.0

    def __init__(self):
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._retry_at = 0.0

    def _run(self, method: str, *args):
        if time.monotonic() >= self._retry_at:
            storage = limiter.storage
            try:
                return getattr(MovingWindowRateLimiter(storage), method)(*args)
            except storage.base_exceptions as error:
                log.error("rate limit storage unreachable (%s): counting in memory", error)
                self._retry_at = time.monotonic() + self.RETRY_SECONDS
        return getattr(self._memory, method)(*args)

    def hit(self, item, *identifiers) -> bool:
        return self._run("hit", item, *identifiers)

    def test(self, item, *identifiers) -> bool:
        return self._run("test", item, *identifiers)

    def get_window_stats(self, item, *identifiers):
        return self._run("get_window_stats", item, *identifiers)


windows = SharedWindows()
socketio = SocketIO()


def skip_empty_limit_check(app) -> None:
    """Drop Flask-Limiter's per-request hook when it has nothing to check.

    The hook evaluates app-wide, default, blueprint, meta and in-memory fallback limits on
    every request; a ``@limiter.limit`` view is checked by its decorator either way. EMISA
    declares only the latter, so the hook goes, unless one of the others is configured once
    all features are set up. Flask-Limiter has no public switch for this, hence its private
    attributes: kept because the hook is a measurable share of the lightest API calls
    (``python -m bench.internals``; numbers in docs/development.md, "Performance").
    """
    manager = limiter.limit_manager
    if (
        manager.application_limits
        or manager.default_limits
        or manager._blueprint_limits
        or limiter._meta_limits
        # App-wide limits for when the storage is down; falling back to memory for the
        # declared limits alone happens in their decorators and needs no hook.
        or limiter._in_memory_fallback
    ):
        return
    app.before_request_funcs[None].remove(limiter._check_request_limit)


class EmisaApi(Api):
    """flask-smorest's Api, answering errors in the platform's one error format."""

    def handle_http_exception(self, error):
        from emisa.errors import handle_http_error

        return handle_http_error(error)


api = EmisaApi()
