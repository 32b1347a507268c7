"""The read rules as SQL filters, so a list is paged and counted by the database.

A list that loaded every row to ask ``can`` of each costs time in proportion to the
group's size and decrypts nothing it needs. These clauses select, in SQL, exactly the
rows the rule they mirror allows (``read_marking`` in ``markings.py``, ``view_group`` in
``groups.py``, the profile rules in ``people.py``); ``tests/access/test_sql_rules.py`` and
``tests/people/test_directory.py`` prove both agree for every persona and every kind of
marking or visibility. Lists still ask ``can`` for the rows they show: the clause decides
what is counted and paged, never more than the rule allows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from emisa.access.markings import Tlp
from emisa.access.roles import AccountState
from emisa.access.visibility import FIELD_DEFAULTS, IDENTITY_FIELDS, Visibility
from emisa.timeutil import utcnow

_LIBRARY_LABELS = tuple(label.value for label in Tlp if label.library_visible)
_GROUP_LABELS = (Tlp.AMBER.value, Tlp.AMBER_STRICT.value)


class json_list_has(FunctionElement):
    """``value`` is an element of the JSON list stored in ``column`` (false for NULL)."""

    type = sa.Boolean()
    inherit_cache = True
    name = "json_list_has"


@compiles(json_list_has, "sqlite")
def _has_sqlite(element, compiler, **kw) -> str:
    column, value = list(element.clauses)
    each = sa.func.json_each(column).table_valued("value")
    return compiler.process(sa.exists().select_from(each).where(each.c.value == value), **kw)


@compiles(json_list_has, "postgresql")
def _has_postgresql(element, compiler, **kw) -> str:
    column, value = list(element.clauses)
    # Typed, so PostgreSQL knows what the bound parameter is.
    as_list = sa.func.jsonb_build_array(sa.cast(value, value.type))
    return compiler.process(sa.cast(column, JSONB).op("@>")(as_list), **kw)


def json_list_empty(column: ColumnElement) -> ColumnElement[bool]:
    """No list stored (NULL, JSON null or ``[]``), which the rules read as no restriction."""
    return sa.func.coalesce(sa.cast(column, sa.Text), "null").in_(("null", "[]"))


def _restricted_to(column: ColumnElement, country: str) -> ColumnElement[bool]:
    """A country list that is empty or names ``country`` (how releasable-to, origin countries
    and a group's allowed countries all read)."""
    return sa.or_(json_list_empty(column), json_list_has(column, sa.literal(country)))


def group_visible_clause(user: Any, allowed_countries: ColumnElement) -> ColumnElement[bool]:
    """SQL twin of the ``group``/``view`` rule: the group is open to the user's country."""
    if user.is_admin:
        return sa.true()
    return _restricted_to(allowed_countries, user.country)


@dataclass(frozen=True)
class MarkedColumns:
    """Where a kind of marked item keeps its marking, for the SQL twin of ``read_marking``."""

    group_id: ColumnElement
    tlp: ColumnElement
    releasable_to: ColumnElement
    origin_countries: ColumnElement
    # fn(user id) -> "that user is a named recipient of the row".
    recipient: Callable[[int], ColumnElement[bool]]
    # fn(group ids) -> "the row was re-shared to one of these groups", or None: never re-shared.
    shared_with: Callable[[Collection[int]], ColumnElement[bool] | None]


def readable_clause(
    user: Any, marked: MarkedColumns, member_group_ids: Collection[int]
) -> ColumnElement[bool]:
    """SQL twin of ``read_marking(user, marking, member_group_ids)``, rule for rule.

    The seal cannot be checked in SQL: the rows a list shows are then asked of
    ``read_marked`` itself, so a row whose marking was changed outside the platform
    may be counted but is never shown.
    """
    groups = sorted(member_group_ids)
    in_group = marked.group_id.in_(groups)
    readable = [
        marked.tlp.in_(_LIBRARY_LABELS),
        sa.and_(marked.tlp == Tlp.RED.value, in_group, marked.recipient(user.id)),
        sa.and_(marked.tlp.in_(_GROUP_LABELS), in_group),
    ]
    shared = marked.shared_with(groups) if groups else None
    if shared is not None:
        readable.append(sa.and_(marked.tlp == Tlp.AMBER.value, shared))
    clause = sa.and_(
        _restricted_to(marked.origin_countries, user.country),
        _restricted_to(marked.releasable_to, user.country),
        sa.or_(*readable),
    )
    if user.is_partner:
        clause = sa.and_(marked.tlp.in_(_LIBRARY_LABELS), clause)
    return clause


# Profiles: the SQL twin of the rules in ``people.py``, for the directory.


def _level(field: str) -> ColumnElement:
    """A profile field's stored visibility, or its default for an account without a profile."""
    from emisa.people.models import Profile

    return sa.func.coalesce(getattr(Profile, f"vis_{field}"), int(FIELD_DEFAULTS[field]))


def _open_clause(field: str, co_member: ColumnElement[bool]) -> ColumnElement[bool]:
    platform = int(Visibility.PLATFORM)
    members = int(Visibility.CO_MEMBERS)
    return sa.or_(
        sa.and_(_level("profile") >= platform, _level(field) >= platform),
        sa.and_(co_member, _level("profile") >= members, _level(field) >= members),
    )


def usable_clause(now: datetime | None = None) -> ColumnElement[bool]:
    """SQL twin of ``User.is_usable``."""
    from emisa.accounts.models import User

    now = now or utcnow()
    return sa.and_(
        User.state == AccountState.ACTIVE.value,
        sa.or_(User.expires_at.is_(None), User.expires_at > now),
    )


class DirectoryClauses:
    """The rules above as SQL over ``users`` outer-joined to ``profiles``."""

    def __init__(self, viewer) -> None:
        from emisa.accounts.models import User
        from emisa.groups.models import Membership

        self.viewer = viewer
        from emisa.access.people import viewer_group_ids

        groups = viewer_group_ids(viewer)
        self.co_member = (
            sa.exists().where(Membership.user_id == User.id, Membership.group_id.in_(groups))
            if groups
            else sa.false()
        )
        self.is_self = User.id == viewer.id

    def profile_visible(self) -> ColumnElement[bool]:
        """Twin of the ``profile``/``view`` rule."""
        if self.viewer.is_admin:
            return sa.or_(self.is_self, usable_clause())
        return sa.or_(
            self.is_self, sa.and_(usable_clause(), _open_clause("profile", self.co_member))
        )

    def field_visible(self, field: str) -> ColumnElement[bool]:
        """Twin of the ``profile_field``/``view`` rule, for a row already profile-visible."""
        if self.viewer.is_admin and field in IDENTITY_FIELDS:
            return sa.true()
        return sa.or_(self.is_self, _open_clause(field, self.co_member))
