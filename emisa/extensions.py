"""Flask extensions, created unbound here and bound to the app in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are declared per endpoint; storage (memory or Redis) is chosen from the config.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
socketio = SocketIO()


def skip_empty_limit_check(app) -> None:
    """Drop Flask-Limiter's per-request hook when it has nothing to check.

    The hook evaluates app-wide, default, blueprint, meta and in-memory fallback limits on
    every request (about 0.1 ms); a ``@limiter.limit`` view is checked by its decorator either
    way. EMISA declares only the latter, so the hook goes, unless one of the others is
    configured once all features are set up.
    """
    manager = limiter.limit_manager
    if (
        manager.application_limits
        or manager.default_limits
        or manager._blueprint_limits
        or limiter._meta_limits
        or limiter._in_memory_fallback_enabled
    ):
        return
    app.before_request_funcs[None].remove(limiter._check_request_limit)


class EmisaApi(Api):
    """flask-smorest's Api, answering errors in the platform's one error format."""

    def handle_http_exception(self, error):
        from emisa.errors import handle_http_error

        return handle_http_error(error)


api = EmisaApi()
