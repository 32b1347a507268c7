"""Time-based one-time codes (pyotp) with replay protection, and recovery codes.

A code is accepted at most once: the highest accepted time step is stored on the
account and raised with a conditional UPDATE, so two processes that receive the
same code at the same moment cannot both accept it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import or_, select, update

from emisa.accounts.models import RecoveryCode, User
from emisa.crypto import keyring
from emisa.extensions import db
from emisa.timeutil import utcnow

ISSUER = "EMISA"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # one step either side
RECOVERY_CODE_COUNT = 10
_PURPOSE = "totp-secret"


def new_secret() -> str:
    return pyotp.random_base32(32)


def seal_secret(secret: str) -> bytes:
    return keyring.seal_platform(secret.encode(), _PURPOSE)


def open_secret(sealed: bytes) -> str:
    return keyring.open_platform(sealed, _PURPOSE).decode()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG, rendered here: no external service sees the seed."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff")


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def check_code_once(user: User, code: str, *, secret: str | None = None) -> bool:
    """Accept a current TOTP code for ``user`` exactly once, across every process."""
    secret = secret or (open_secret(user.totp_secret) if user.totp_secret else None)
    if secret is None:
        return False
    step = _matching_step(secret, code)
    if step is None:
        return False
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, User.totp_last_step < step)
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def _hash_recovery_code(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hmac.new(key, b"recovery:" + normalised.encode(), hashlib.sha256).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes; the plain codes are returned once, never stored."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    user.recovery_codes.clear()
    user.recovery_codes.extend(RecoveryCode(code_hash=_hash_recovery_code(c)) for c in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; the conditional UPDATE makes a second use fail."""
    digest = _hash_recovery_code(code)
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    return sum(1 for code in user.recovery_codes if code.used_at is None)


@keyring.on_master_key_rotation
def _reseal_secrets(_old_versions: list[int], _new_version: int) -> None:
    """TOTP seeds follow the master key: re-seal them under the new version."""
    accounts = db.session.scalars(
        select(User).where(or_(User.totp_secret.isnot(None), User.totp_pending_secret.isnot(None)))
    )
    for user in accounts:
        if user.totp_secret:
            user.totp_secret = keyring.reseal_platform(user.totp_secret, _PURPOSE)
        if user.totp_pending_secret:
            user.totp_pending_secret = keyring.reseal_platform(user.totp_pending_secret, _PURPOSE)
