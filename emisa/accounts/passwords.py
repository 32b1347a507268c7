"""Password hashing (Argon2id via argon2-cffi) and the strength rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

_hasher = PasswordHasher()  # argon2-cffi defaults: Argon2id, RFC 9106 low-memory profile
MIN_LENGTH = 12
# Pre-computed so that an unknown email costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("emisa-timing-equaliser")


class WeakPassword(ValueError):
    """The password does not meet the rule; the message says which part."""


def check_strength(password: str, *, email: str = "", name: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            _("The password must be at least %(min)d characters long.", min=MIN_LENGTH)
        )
    if len(set(password)) < 6:
        raise WeakPassword(_("The password repeats too few different characters."))
    lowered = password.lower()
    for personal in (email.split("@")[0].lower(), name.lower()):
        if len(personal) >= 4 and personal in lowered:
            raise WeakPassword(_("The password must not contain your name or email address."))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
