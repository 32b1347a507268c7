"""The two sign-in steps (password, then code), shared by the web form and the token API."""

from __future__ import annotations

from emisa import audit
from emisa.access.roles import AccountState
from emisa.accounts import lockout, totp
from emisa.accounts.models import User
from emisa.accounts.operations import find_user
from emisa.accounts.passwords import hash_password, needs_rehash, verify_password
from emisa.audit.log import client_address


class LoginFailed(Exception):
    """A refused attempt; ``status`` is 401, or 429 while locked out."""

    def __init__(self, message: str, status: int = 401, retry_after: int | None = None):
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


def _refuse_if_locked(email: str) -> None:
    locked = lockout.current_lockout(email, client_address())
    if locked is not None:
        audit.record_event(
            "auth.locked_out", outcome="denied", details={"email": email.strip().lower()}
        )
        raise LoginFailed(locked.message, status=429, retry_after=locked.retry_after)


def _fail(email: str, action: str, user: User | None, message: str) -> LoginFailed:
    lockout.register_failure(email, client_address())
    audit.record_event(
        action, actor=user, outcome="failed", details={"email": email.strip().lower()}
    )
    return LoginFailed(message)


def check_password(email: str, password: str) -> User:
    """First step. Unknown email and wrong password look and take the same."""
    _refuse_if_locked(email)
    user = find_user(email)
    if not verify_password(user.password_hash if user else None, password):
        raise _fail(email, "auth.password_failed", user, "Wrong email or password.")
    if user.effective_state in (AccountState.SUSPENDED, AccountState.EXPIRED):
        audit.record_event("auth.login_refused", actor=user, outcome="denied", target=user)
        raise LoginFailed(f"This account is {user.effective_state}. Contact an administrator.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def check_code(user: User, code: str) -> str:
    """Second step: a TOTP code or an unused recovery code; returns which one was used."""
    _refuse_if_locked(user.email)
    if totp.check_code_once(user, code):
        method = "totp"
    elif totp.use_recovery_code(user, code):
        method = "recovery-code"
    else:
        raise _fail(
            user.email,
            "auth.code_failed",
            user,
            "That code is not valid, has expired or was already used.",
        )
    audit.record("auth.login", actor=user, target=user, details={"method": method})
    return method
