"""Rules for meetings: who sees a meeting, attends it, speaks in it and chairs it.

A meeting is group content marked with a TLP label: ``read_marked`` decides who
may see it (TLP:RED meetings are for their named invitees), and only members of
the group see any meeting at all, even a TLP:GREEN one (a meeting is a place,
not a document to be shared). The room rules add the meeting's state and the
member's role. Socket.IO handlers ask these rules on every event.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from emisa.access.decision import Decision, allow, deny
from emisa.access.groups import in_visible_group
from emisa.access.marked import read_marked
from emisa.access.membership import member_group_ids, membership_of
from emisa.access.policy import actor_decision, can, registered_rule, rule
from emisa.access.roles import GroupRole
from emisa.access.sql import readable_clause
from emisa.i18n import N_

LIVE_STATES = ("scheduled", "open")


@rule("group", "schedule_meeting")
def _schedule(user, group) -> Decision:
    """Coordinators schedule their group's meetings."""
    decision = can(user, "moderate", group)
    return decision if decision else deny("Only the group's coordinators schedule meetings.")


@rule("group", "list_meetings")
def _list(user, group) -> Decision:
    return can(user, "read_content", group)


def _group_rule(action: str, user, group) -> Decision:
    """The registered group rule itself: the actor was checked once on the way in (by ``can``
    for the caller, by ``invited`` for another account), so it is not asked again here."""
    return registered_rule("group", action)(user, group)


@rule("meeting", "view", "read_minutes")
def _view(user, meeting) -> Decision:
    if not _group_rule("view", user, meeting.group):
        return deny("This meeting is not visible to you.", hide=True)
    if membership_of(user, meeting.group) is None:
        return deny("Only members of the group see its meetings.", hide=True)
    return read_marked(user, meeting)


def meeting_view_clause(user) -> ColumnElement[bool]:
    """SQL twin of ``_view`` above, for paging and counting meeting lists."""
    from emisa.meetings.models import Meeting

    if not actor_decision(user):
        return sa.false()
    groups = member_group_ids(user)
    return sa.and_(
        in_visible_group(user, Meeting.group_id),
        Meeting.group_id.in_(sorted(groups)),
        readable_clause(user, Meeting.marked_columns(), groups),
    )


# Labels whose meetings a partner member may know exist (a date and a label, nothing more):
# the label, not a named list, keeps them out; a TLP:RED meeting's existence is its invitees'.
_KNOWN_TO_PARTNERS = ("TLP:AMBER", "TLP:AMBER+STRICT")


@rule("meeting", "know_of")
def _know_of(user, meeting) -> Decision:
    """That a meeting exists, where ``view`` refuses: partner members learn that their group
    meets at a label they cannot read, instead of the meeting silently missing."""
    if _view(user, meeting):
        return deny("The meeting itself is visible.", hide=True)
    if not user.is_partner or meeting.tlp not in _KNOWN_TO_PARTNERS:
        return deny("This meeting is not visible to you.", hide=True)
    if not _group_rule("view", user, meeting.group) or membership_of(user, meeting.group) is None:
        return deny("This meeting is not visible to you.", hide=True)
    return allow("partner member, told of a meeting at a label partners cannot read")


def meeting_known_clause(user) -> ColumnElement[bool]:
    """SQL twin of ``know_of`` above: for a partner, the group's AMBER meetings."""
    from emisa.meetings.models import Meeting

    if not actor_decision(user) or not user.is_partner:
        return sa.false()
    return sa.and_(
        in_visible_group(user, Meeting.group_id),
        Meeting.group_id.in_(sorted(member_group_ids(user))),
        Meeting.tlp.in_(_KNOWN_TO_PARTNERS),
    )


def _seen_then(user, meeting, check) -> Decision:
    seen = _view(user, meeting)
    return check() if seen else seen


# Why a meeting's room cannot be used, by its state.
_NOT_LIVE = {
    "closed": N_("This meeting has ended."),
    "cancelled": N_("This meeting was cancelled."),
}


# Why a finished meeting can no longer be edited or cancelled.
_FINISHED = {
    "closed": N_("This meeting has ended; it can no longer change."),
    "cancelled": N_("This meeting was cancelled; it can no longer change."),
}


@rule("meeting", "attend", "hand", "signal")
def _attend(user, meeting) -> Decision:
    def check() -> Decision:
        if meeting.state not in LIVE_STATES:
            return deny(_NOT_LIVE.get(meeting.state, N_("This meeting is over.")), status=409)
        return allow("invitee")

    return _seen_then(user, meeting, check)


def _attend_not_observing(user, meeting, refusal: str) -> Decision:
    attend = _attend(user, meeting)
    if not attend:
        return attend
    membership = membership_of(user, meeting.group)
    if membership.role == GroupRole.OBSERVER:
        return deny(refusal)
    return allow(membership.role)


@rule("meeting", "chat", "vote")
def _speak(user, meeting) -> Decision:
    return _attend_not_observing(
        user, meeting, N_("Observers attend and listen but cannot chat or vote.")
    )


@rule("meeting", "receive_media")
def _receive_media(user, meeting) -> Decision:
    """Everyone in the room hears and sees the others (through the SFU when there is one)."""
    return _attend(user, meeting)


@rule("meeting", "publish")
def _publish(user, meeting) -> Decision:
    """Coordinators and members send audio, video and their screen; observers only receive."""
    return _attend_not_observing(
        user, meeting, N_("Observers follow the meeting but do not send audio, video or a screen.")
    )


def _coordinator(user, meeting) -> Decision:
    membership = membership_of(user, meeting.group)
    if membership is not None and membership.role == GroupRole.COORDINATOR:
        return allow("coordinator")
    return deny("Only the group's coordinators chair meetings.")


@rule("meeting", "chair")
def _chair(user, meeting) -> Decision:
    """Open, close, lock, admit, remove, polls, minutes: the coordinators, while it is live."""

    def check() -> Decision:
        decision = _coordinator(user, meeting)
        if decision and meeting.state not in LIVE_STATES:
            return deny(_NOT_LIVE.get(meeting.state, N_("This meeting is over.")), status=409)
        return decision

    return _seen_then(user, meeting, check)


@rule("meeting", "edit", "cancel")
def _edit(user, meeting) -> Decision:
    def check() -> Decision:
        decision = _coordinator(user, meeting)
        if decision and meeting.state in ("closed", "cancelled"):
            return deny(_FINISHED[meeting.state], status=409)
        return decision

    return _seen_then(user, meeting, check)


@rule("meeting", "attendance")
def _attendance(user, meeting) -> Decision:
    return _seen_then(user, meeting, lambda: _coordinator(user, meeting))


def invited(user, meeting) -> Decision:
    """Is ``user`` (another account, not the caller) invited to ``meeting``?

    For lists of invitees and notifications: the account must be usable and the
    ``view`` rule must allow it; the caller's own sign-in state does not matter.
    """
    if not user.is_usable:
        return deny("This account cannot be used.")
    return _view(user, meeting)
