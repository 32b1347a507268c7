"""Rules for the platform itself, accounts, working groups, memberships and join requests."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from emisa.access.decision import Decision, allow, deny
from emisa.access.membership import Seat, membership_of
from emisa.access.policy import PLATFORM, rule
from emisa.access.roles import GroupRole, JoinPolicy
from emisa.access.sql import group_visible_clause


@rule(PLATFORM, "administer")
def _administer(user, _resource) -> Decision:
    """Account management, group creation and the audit log are for platform admins."""
    return allow("platform admin") if user.is_admin else deny("Only administrators may do this.")


@rule(PLATFORM, "use")
def _use_platform(_user, _resource) -> Decision:
    return allow("active account")


def _country_allowed(user, group) -> bool:
    return not group.allowed_countries or user.country in group.allowed_countries


_GROUP_VISIBLE = allow("group visible")
_GROUP_HIDDEN = deny("This group is not open to your country.", hide=True)


@rule("group", "view")
def view_group(user, group) -> Decision:
    """A group restricted to other countries does not exist for the user (404)."""
    if _country_allowed(user, group) or user.is_admin:
        return _GROUP_VISIBLE
    return _GROUP_HIDDEN


def visible_group_ids(user) -> sa.Select:
    """SQL twin of the ``view`` rule above: the ids of the groups ``user`` may see."""
    from emisa.groups.models import WorkingGroup

    return sa.select(WorkingGroup.id).where(
        group_visible_clause(user, WorkingGroup.allowed_countries)
    )


def in_visible_group(user, group_id: ColumnElement) -> ColumnElement[bool]:
    """The row's group (``group_id``) is one ``user`` may see, as a correlated test: the
    list's own index, not the group, decides how its rows are read."""
    from emisa.groups.models import WorkingGroup

    return sa.exists().where(
        WorkingGroup.id == group_id, group_visible_clause(user, WorkingGroup.allowed_countries)
    )


def _visible_then(user, group, check) -> Decision:
    seen = view_group(user, group)
    return check() if seen else seen


@rule("group", "edit", "delete")
def _edit_group(user, group) -> Decision:
    # Through _visible_then: a 403 here would tell a wrong-country user the group exists.
    return _visible_then(user, group, lambda: _administer(user, None))


@rule("group", "request_join")
def _request_join(user, group) -> Decision:
    def check() -> Decision:
        if not _country_allowed(user, group):
            return deny("This group is not open to your country.")
        if membership_of(user, group) is not None:
            return deny("You are already a member of this group.", status=409)
        if group.join_policy != JoinPolicy.REQUEST:
            return deny("This group is invite-only; a coordinator must add you.")
        return allow("may ask to join")

    return _visible_then(user, group, check)


def _coordinator_or_admin(user, group) -> Decision:
    membership = membership_of(user, group)
    if membership is not None and membership.role == GroupRole.COORDINATOR:
        return allow("coordinator")
    if user.is_admin:
        return allow("platform admin")
    return deny("Only the group's coordinators may do this.")


@rule("group", "manage_members", "decide_join_requests")
def _manage_members(user, group) -> Decision:
    return _visible_then(user, group, lambda: _coordinator_or_admin(user, group))


@rule("group", "list_members")
def _list_members(user, group) -> Decision:
    """The member list: for the group's members, and for those who manage its members."""
    if membership_of(user, group) is not None:
        return view_group(user, group)
    return _manage_members(user, group)


@rule("group", "leave")
def _leave(user, group) -> Decision:
    def check() -> Decision:
        if membership_of(user, group) is None:
            return deny("You are not a member of this group.", status=409)
        return allow("member")

    return _visible_then(user, group, check)


@rule("group", "read_content")
def _read_content(user, group) -> Decision:
    """Group content is for members only; an admin who is not a member reads nothing."""

    def check() -> Decision:
        if membership_of(user, group) is None:
            return deny("Only members of this group can see its content.")
        return allow("member")

    return _visible_then(user, group, check)


@rule("group", "contribute")
def contribute_to_group(user, group) -> Decision:
    """Posting, uploading and chatting: coordinators and members; observers only read."""

    def check() -> Decision:
        membership = membership_of(user, group)
        if membership is None:
            return deny("Only members of this group can contribute.")
        if membership.role == GroupRole.OBSERVER:
            return deny("Observers can read and attend but cannot post or upload.")
        return allow(membership.role)

    return _visible_then(user, group, check)


@rule("group", "moderate")
def moderate_group(user, group) -> Decision:
    def check() -> Decision:
        membership = membership_of(user, group)
        if membership is not None and membership.role == GroupRole.COORDINATOR:
            return allow("coordinator")
        return deny("Only the group's coordinators may do this.")

    return _visible_then(user, group, check)


_SELF_SEAT = deny(
    "An administrator joins a group only when one of its coordinators adds them "
    "or approves their request."
)


@rule("group_seat", "assign")
def _assign_seat(user, seat) -> Decision:
    """Separation of duties: the admin role never seats its holder; only a coordinator does."""
    if seat.user_id != user.id:
        return _manage_members(user, seat.group)

    def check() -> Decision:
        membership = membership_of(user, seat.group)
        if membership is not None and membership.role == GroupRole.COORDINATOR:
            return allow("coordinator")
        return _SELF_SEAT

    return _visible_then(user, seat.group, check)


@rule("join_request", "decide")
def _decide_join_request(user, join_request) -> Decision:
    return _assign_seat(user, Seat(join_request.group, join_request.user_id))


@rule("join_request", "view")
def _view_join_request(user, join_request) -> Decision:
    if join_request.user_id == user.id:
        return allow("requester")
    decision = _manage_members(user, join_request.group)
    return decision if decision else deny("Not your request.", hide=True)


@rule("user", "manage")
def _manage_user(user, _account) -> Decision:
    return _administer(user, None)


@rule("user", "suspend")
def _suspend_user(user, account) -> Decision:
    """Administrators suspend others, never themselves (nobody might be left to undo it)."""
    if account.id == user.id:
        return deny("You cannot suspend your own account.")
    return _administer(user, None)
