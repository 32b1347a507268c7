"""Who belongs to which group, looked up once per request.

The policy's own lookup (rules ask it on every decision), so it lives with the policy and the
groups package depends on it, not the other way round.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from flask import g, has_app_context
from sqlalchemy import bindparam, select

from emisa.extensions import db


def _cache() -> dict:
    if not has_app_context():
        return {}
    if "emisa_memberships" not in g:
        g.emisa_memberships = {}
    return g.emisa_memberships


def forget_memberships() -> None:
    """Drop the per-request cache after a membership changed."""
    _cache().clear()


@functools.cache
def _memberships_statement():
    """Built once, not per request (the models import this module, hence not at import)."""
    from emisa.groups.models import Membership

    return select(Membership).where(Membership.user_id == bindparam("user_id"))


def memberships_of(user) -> dict:
    """All memberships of ``user`` keyed by group id (one query per request)."""
    cache = _cache()
    key = ("user", user.id)
    if key not in cache:
        rows = db.session.scalars(_memberships_statement(), {"user_id": user.id})
        cache[key] = {membership.group_id: membership for membership in rows}
    return cache[key]


def preload_memberships(user_ids) -> None:
    """Look up the memberships of many accounts in one query (a batch of access checks)."""
    from emisa.groups.models import Membership

    cache = _cache()
    wanted = {uid for uid in user_ids if ("user", uid) not in cache}
    if not wanted:
        return
    found: dict[int, dict] = {uid: {} for uid in wanted}
    for membership in db.session.scalars(select(Membership).where(Membership.user_id.in_(wanted))):
        found[membership.user_id][membership.group_id] = membership
    cache.update({("user", uid): rows for uid, rows in found.items()})


def membership_of(user, group):
    return memberships_of(user).get(group.id)


def member_group_ids(user) -> set[int]:
    return set(memberships_of(user))


class Seat(NamedTuple):
    """A place for one account in one group: what adding, approving or changing a role grants.

    The policy judges it apart from managing members in general, because who the seat is
    for matters: a platform admin may seat others, never themselves.
    """

    __policy_type__ = "group_seat"

    group: Any
    user_id: int
