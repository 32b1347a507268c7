"""Accounts: sign-in with mandatory TOTP, sessions, API tokens, invitations, administration."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from emisa.extensions import login_manager


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def init_app(app: Flask) -> None:
    from emisa.accounts import commands  # noqa: F401  (registers the CLI command)
    from emisa.accounts.admin_views import bp as admin_bp
    from emisa.accounts.sessions import user_for_session_key, user_for_token
    from emisa.accounts.views import bp, gate_unfinished_sign_in

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Sign in to continue.")
    # Flashed as a plain string (the session holds no lazy text), in the request's language.
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"
    # Flask-Login's own "session protection" is replaced by server-side sessions we can revoke.
    login_manager.session_protection = None

    @login_manager.user_loader
    def _load_from_cookie(key: str):
        # The JSON API takes bearer tokens only, so a cookie can never ride a cross-site request.
        if request.path.startswith("/api/"):
            return None
        return user_for_session_key(key)

    @login_manager.request_loader
    def _load_from_token(_request):
        token = _bearer_token()
        return user_for_token(token) if token else None

    app.before_request(gate_unfinished_sign_in)
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
