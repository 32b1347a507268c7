"""The closed vocabularies of who someone is: account kinds, platform roles, group roles."""

from enum import StrEnum

from flask_babel import gettext as _


class AccountKind(StrEnum):
    LAW_ENFORCEMENT = "law-enforcement"
    PARTNER = "partner"


class PlatformRole(StrEnum):
    ADMIN = "admin"
    USER = "user"


class AccountState(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


class GroupRole(StrEnum):
    COORDINATOR = "coordinator"
    MEMBER = "member"
    OBSERVER = "observer"


class JoinPolicy(StrEnum):
    REQUEST = "request"
    INVITE_ONLY = "invite-only"


def parse_enum(enum_type: type[StrEnum], value: str) -> StrEnum:
    """Return the member for ``value`` or raise ValueError naming the accepted values."""
    try:
        return enum_type(value)
    except ValueError:
        accepted = ", ".join(member.value for member in enum_type)
        raise ValueError(
            _(
                "'%(value)s' is not accepted here; use one of: %(accepted)s.",
                value=value,
                accepted=accepted,
            )
        ) from None
