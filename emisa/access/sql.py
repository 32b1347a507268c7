"""The read rules as SQL filters, so a list is paged and counted by the database.

A list that loaded every row to ask ``can`` of each costs time in proportion to the
group's size and decrypts nothing it needs. These clauses select, in SQL, exactly the
rows the rule they mirror allows (``read_marking`` in ``markings.py``, ``_view_group`` in
``groups.py``); ``tests/access/test_sql_rules.py`` proves both agree for every persona and
every kind of marking. Lists still ask ``can`` for the rows they show: the clause decides
what is counted and paged, never more than the rule allows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from emisa.access.markings import Tlp

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
