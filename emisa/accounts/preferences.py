"""How a member reads the platform: interface language, time zone and digits.

One place validates and stores them, for the account page, the first sign-in page, the
language switch and ``PATCH /me`` alike.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import gettext as _

from emisa import audit
from emisa.accounts.models import User
from emisa.i18n import DIGITS, LANGUAGES
from emisa.operations import OperationError

_ZONES: list[str] = []


def time_zones() -> list[str]:
    """Every IANA zone a member may choose (regions and UTC, not the legacy aliases)."""
    if not _ZONES:
        _ZONES.extend(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))
    return _ZONES


class PreferenceError(OperationError):
    """A refused value; ``field`` names the preference at fault (the form marks it)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _checked(field: str, value) -> str:
    if field == "language" and value not in LANGUAGES:
        raise PreferenceError(
            field,
            _("Choose a language among %(languages)s.", languages=", ".join(LANGUAGES)),
        )
    if field == "time_zone" and (not isinstance(value, str) or value not in time_zones()):
        raise PreferenceError(
            field, _("Choose an IANA time zone such as Europe/Brussels or Africa/Casablanca.")
        )
    if field == "digits" and value not in DIGITS:
        raise PreferenceError(field, _("Choose Latin or Eastern Arabic digits."))
    return value


def set_preferences(user: User, **values) -> list[str]:
    """Check every given value first, then store them all (or none); returns what changed."""
    checked = {field: _checked(field, value) for field, value in values.items()}
    changed = [field for field, value in checked.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, checked[field])
    if changed:
        audit.record("account.preferences_set", target=user, details={"fields": changed})
    return changed
