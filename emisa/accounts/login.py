"""The two sign-in steps (password, then code), shared by the web form and the token API."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from emisa import audit
from emisa.access.roles import AccountState
from emisa.accounts import lockout, totp
from emisa.accounts.models import User
from emisa.accounts.operations import find_user
from emisa.accounts.passwords import hash_password, needs_rehash, verify_password
from emisa.audit.log import client_address
from emisa.i18n import term


class LoginFailed(Exception):
    """A refused attempt; ``status`` is 401, 403 for a closed account, or 429 while locked out."""

    def __init__(
        self,
        message: str,
        status: int = 401,
        retry_after: int | None = None,
        code: str | None = None,
        field: str | None = None,
    ):
        message = str(message)  # a lazy text, fixed in the language of the request
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after
        self.code = code  # the API's error code, when the status alone does not say it
        self.field = field  # the form field at fault, for re-authentication


def _refuse_if_locked(email: str) -> None:
    locked = lockout.current_lockout(email)
    if locked is not None:
        audit.record_event(
            "auth.locked_out", outcome="denied", details={"email": email.strip().lower()}
        )
        raise LoginFailed(locked.message, status=429, retry_after=locked.retry_after)


def register_failure(email: str) -> None:
    """Count a failed attempt; an address that crosses the threshold is reported, not refused."""
    address = client_address()
    if lockout.register_failure(email, address):
        audit.record_event("auth.address_failures", outcome="alert", details={"address": address})


def _fail(email: str, action: str, user: User | None, message: str) -> LoginFailed:
    register_failure(email)
    audit.record_event(
        action, actor=user, outcome="failed", details={"email": email.strip().lower()}
    )
    return LoginFailed(message)


_WRONG_CREDENTIALS = _l("Wrong email or password.")
_CLOSED_STATES = (AccountState.SUSPENDED, AccountState.EXPIRED)


def check_password(email: str, password: str) -> User:
    """First step. Unknown email and wrong password look and take the same.

    A suspended or expired account is not told apart here either: its state is only
    revealed once both factors pass (``check_code``), so the step is no password oracle.
    Without an enrolled second factor such an account can never pass both, so it gets
    the answer of a wrong password.
    """
    _refuse_if_locked(email)
    user = find_user(email)
    if not verify_password(user.password_hash if user else None, password):
        raise _fail(email, "auth.password_failed", user, _WRONG_CREDENTIALS)
    if user.effective_state in _CLOSED_STATES and not user.totp_enrolled_at:
        register_failure(email)
        audit.record_event("auth.login_refused", actor=user, outcome="denied", target=user)
        raise LoginFailed(_WRONG_CREDENTIALS)
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
            _("That code is not valid, has expired or was already used."),
        )
    if user.effective_state in _CLOSED_STATES:
        audit.record_event("auth.login_refused", actor=user, outcome="denied", target=user)
        raise LoginFailed(
            _(
                "This account is %(state)s. Contact an administrator.",
                state=term(user.effective_state),
            ),
            status=403,
            code="account_closed",
        )
    audit.record("auth.login", actor=user, target=user, details={"method": method})
    return method


def reauthentication_failed(user: User, field: str, message: str) -> LoginFailed:
    """A wrong password or code given to confirm a sensitive change: counted like a sign-in."""
    register_failure(user.email)
    audit.record_event("auth.reauth_failed", outcome="failed", target=user)
    return LoginFailed(message, status=400, field=field)


def reauthenticate(user: User, password: str, code: str) -> None:
    """Proof that the signed-in person is at the keyboard: their password and a current code.

    Shares the sign-in lockout, so a stolen session cannot guess on. Raises ``LoginFailed``
    (400 with the ``field`` at fault, or 429 while locked out).
    """
    _refuse_if_locked(user.email)
    if not verify_password(user.password_hash, password or ""):
        raise reauthentication_failed(user, "current_password", _("The password is wrong."))
    if not totp.check_code_once(user, code or ""):
        raise reauthentication_failed(user, "code", _("The code is wrong or was already used."))
