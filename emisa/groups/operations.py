"""Working-group operations: create and edit, membership, join requests, the seed groups.

Rights are checked by the caller through the access policy; these functions
enforce the state rules (no duplicate membership, a group keeps a coordinator,
a country outside the group's list cannot join) and audit what they change.
"""

from __future__ import annotations

import re
import unicodedata

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from emisa import audit
from emisa.access import could, filter_allowed
from emisa.access.countries import normalise_countries
from emisa.access.groups import visible_group_ids
from emisa.access.membership import forget_memberships, preload_memberships
from emisa.access.roles import GroupRole, JoinPolicy, parse_enum
from emisa.accounts.models import User
from emisa.crypto import keyring
from emisa.extensions import db
from emisa.groups.models import GroupListing, JoinRequest, Membership, WorkingGroup
from emisa.operations import OperationError
from emisa.signals import group_deleting, membership_ended, notify, rights_narrowed
from emisa.timeutil import utcnow

SEED_GROUPS = [
    (
        "Foreign terrorist fighters",
        "Detection, prosecution, rehabilitation and reintegration "
        "of foreign terrorist fighters and returnees, and their families.",
    ),
    (
        "P/CVE",
        "Preventing and countering violent extremism: early intervention, community "
        "engagement and exit programmes.",
    ),
    (
        "Prison and probation",
        "Managing terrorist and radicalised offenders in prison and on "
        "probation: risk assessment, disengagement, release and supervision.",
    ),
    (
        "Cyber capacities",
        "Digital investigations, electronic evidence, encrypted "
        "communications and cyber-enabled terrorism.",
    ),
    (
        "Countering terrorism financing",
        "Financial investigations, crypto-assets, non-profit abuse and asset freezing.",
    ),
    (
        "Investigative capabilities",
        "Special investigative techniques, joint investigations "
        "and the use of intelligence as evidence.",
    ),
    (
        "Online propaganda",
        "Detecting and removing terrorist content online and countering its narratives.",
    ),
    (
        "Judicial cooperation",
        "Mutual legal assistance, extradition, battlefield evidence and "
        "cooperation between prosecutors.",
    ),
]


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:80] or "group"


def _validated(name: str, allowed_countries, join_policy: str) -> tuple[str, list[str], str]:
    name = (name or "").strip()
    if not 3 <= len(name) <= 120:
        raise OperationError(_("The group name must be 3 to 120 characters long."))
    try:
        countries = normalise_countries(allowed_countries)
        policy = parse_enum(JoinPolicy, join_policy or JoinPolicy.REQUEST)
    except ValueError as error:
        raise OperationError(str(error)) from None
    return name, countries, policy


def _ensure_unique(name: str, slug: str, exclude_id: int | None = None) -> None:
    clash = db.session.scalar(
        select(WorkingGroup).where((WorkingGroup.name == name) | (WorkingGroup.slug == slug))
    )
    if clash is not None and clash.id != exclude_id:
        raise OperationError(_("A group named '%(name)s' already exists.", name=name), status=409)


def create_group(
    name: str,
    mandate: str = "",
    allowed_countries=None,
    join_policy: str = JoinPolicy.REQUEST,
    by: User | None = None,
) -> WorkingGroup:
    name, countries, policy = _validated(name, allowed_countries, join_policy)
    slug = slugify(name)
    _ensure_unique(name, slug)
    group = WorkingGroup(
        name=name,
        slug=slug,
        mandate=(mandate or "").strip(),
        allowed_countries=countries,
        join_policy=policy,
    )
    db.session.add(group)
    db.session.flush()
    audit.record(
        "group.created", actor=by, target=group, details={"countries": countries, "policy": policy}
    )
    return group


def update_group(
    group: WorkingGroup, *, name: str, mandate: str, allowed_countries, join_policy: str, by: User
) -> None:
    name, countries, policy = _validated(name, allowed_countries, join_policy)
    _ensure_unique(name, slugify(name), exclude_id=group.id)
    group.name, group.mandate = name, (mandate or "").strip()
    group.allowed_countries, group.join_policy = countries, policy
    audit.record(
        "group.updated", actor=by, target=group, details={"countries": countries, "policy": policy}
    )
    rights_narrowed.send(current_app._get_current_object(), group_id=group.id)


def delete_group(group: WorkingGroup, confirm_name: str, by: User) -> None:
    """Delete a group and crypto-shred its keys: its content is unreadable from then on.

    Features delete their own rows and blobs on ``group_deleting``; the group's keys are
    destroyed in the same transaction, so even a backup of the database and the disk cannot
    be decrypted once the keys are gone from every live copy.
    """
    if confirm_name.strip() != group.name:
        raise OperationError(_("Type the group's exact name to confirm the deletion."))
    group_id, name = group.id, group.name
    group_deleting.send(current_app._get_current_object(), group_id=group_id)
    keyring.shred_group(group_id)
    db.session.delete(group)
    db.session.flush()
    forget_memberships()
    audit.record(
        "group.deleted",
        actor=by,
        target_type="group",
        target_id=group_id,
        group_id=group_id,
        details={"name": name},
    )


def seed_groups() -> int:
    """Create the EMISA thematic groups that do not exist yet; returns how many were made."""
    existing = set(db.session.scalars(select(WorkingGroup.slug)))
    made = 0
    for name, mandate in SEED_GROUPS:
        if slugify(name) not in existing:
            create_group(name, mandate)
            made += 1
    return made


# The dashboard, the group list and the API list run these on every request: built once
# (with their SQL cache keys) instead of per request.
_LISTINGS = GroupListing.statement()
_REQUESTS_OF = (
    select(JoinRequest)
    .where(JoinRequest.user_id == bindparam("user_id"))
    .order_by(JoinRequest.created_at.desc())
    .limit(20)
)


def visible_groups_statement(user: User) -> Select:
    """The group listing narrowed in SQL to the groups ``user`` may see (the ``view`` rule's
    SQL twin), for paged lists; ``filter_allowed`` still has the last word on each row."""
    return _LISTINGS.where(WorkingGroup.id.in_(visible_group_ids(user)))


def visible_groups(user: User) -> list[GroupListing]:
    rows = db.session.execute(_LISTINGS).all()
    return filter_allowed(user, "view", map(GroupListing.from_row, rows))


def _parse_role(role: str) -> str:
    try:
        return parse_enum(GroupRole, role)
    except ValueError as error:
        raise OperationError(str(error)) from None


def _coordinator_count(group: WorkingGroup) -> int:
    return sum(1 for m in group.memberships if m.role == GroupRole.COORDINATOR)


def add_member(
    group: WorkingGroup, user: User, role: str, by: User | None, *, tell: bool = True
) -> Membership:
    """Seat ``user``; ``tell`` notifies them (a join request's decision tells them instead)."""
    role = _parse_role(role)
    if group.allowed_countries and user.country not in group.allowed_countries:
        raise OperationError(
            _(
                "%(name)s is from %(country)s, which this group is not open to.",
                name=user.name,
                country=user.country_name,
            ),
            409,
        )
    if db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    ):
        raise OperationError(_("%(name)s is already a member of this group.", name=user.name), 409)
    membership = Membership(group=group, user=user, role=role)
    db.session.add(membership)
    for pending in db.session.scalars(
        select(JoinRequest).where(
            JoinRequest.group_id == group.id,
            JoinRequest.user_id == user.id,
            JoinRequest.status == "pending",
        )
    ):
        pending.status, pending.decided_at = "approved", utcnow()
        pending.decided_by_id = by.id if by else None
    db.session.flush()
    forget_memberships()
    details = {"user_id": user.id, "role": role}
    if by is None:
        # Without an acting account, the server's operator seated them (the CLI).
        details["via"] = "operator"
    audit.record("membership.added", actor=by, target=group, details=details)
    if tell and by is not None and by.id != user.id:
        notify.send(
            current_app._get_current_object(),
            user_ids=[user.id],
            kind="member_added",
            params={"actor": by.name, "group": group.name},
            link=f"/groups/{group.id}",
            subject=f"group:{group.id}",
        )
    return membership


def change_role(membership: Membership, role: str, by: User) -> None:
    role = _parse_role(role)
    if (
        membership.role == GroupRole.COORDINATOR
        and role != GroupRole.COORDINATOR
        and _coordinator_count(membership.group) == 1
    ):
        raise OperationError(
            _("A group needs at least one coordinator; appoint another first."), 409
        )
    previous, membership.role = membership.role, role
    forget_memberships()
    audit.record(
        "membership.role_changed",
        actor=by,
        target=membership.group,
        details={"user_id": membership.user_id, "from": previous, "to": role},
    )
    rights_narrowed.send(
        current_app._get_current_object(), group_id=membership.group_id, user_id=membership.user_id
    )


def remove_member(membership: Membership, by: User) -> None:
    group, user_id = membership.group, membership.user_id
    if membership.role == GroupRole.COORDINATOR and _coordinator_count(group) == 1:
        raise OperationError(
            _("The last coordinator cannot leave or be removed; appoint another first."), 409
        )
    action = "membership.left" if by.id == user_id else "membership.removed"
    group.memberships.remove(membership)
    db.session.flush()
    forget_memberships()
    audit.record(action, actor=by, target=group, details={"user_id": user_id})
    membership_ended.send(current_app._get_current_object(), group_id=group.id, user_id=user_id)


def request_to_join(group: WorkingGroup, user: User, motivation: str) -> JoinRequest:
    motivation = (motivation or "").strip()
    if not 10 <= len(motivation) <= 2000:
        raise OperationError(
            _("Tell the coordinators why you want to join (10 to 2000 characters).")
        )
    if db.session.scalar(
        select(JoinRequest).where(
            JoinRequest.group_id == group.id,
            JoinRequest.user_id == user.id,
            JoinRequest.status == "pending",
        )
    ):
        raise OperationError(
            _("You already asked to join this group; a coordinator will decide."), 409
        )
    join_request = JoinRequest(group=group, user=user, motivation_sealed=b"")
    db.session.add(join_request)
    db.session.flush()
    join_request.seal(motivation=motivation)
    audit.record("join_request.created", actor=user, target=group, details={"id": join_request.id})
    _notify_deciders(join_request)
    return join_request


def _notify_deciders(join_request: JoinRequest) -> None:
    """Those the policy lets decide the request hear of it; the motivation stays sealed."""
    group = join_request.group
    members = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group.id, User.id != join_request.user_id)
    ).all()
    preload_memberships([user.id for user in members])  # one query for every member's check
    deciders = [user.id for user in members if could(user, "decide", join_request)]
    if deciders:
        notify.send(
            current_app._get_current_object(),
            user_ids=deciders,
            kind="join_request",
            params={"actor": join_request.user.name, "group": group.name},
            link=f"/groups/{group.id}#requests",
            subject=f"group:{group.id}",
        )


def decide_join_request(join_request: JoinRequest, approve: bool, reason: str, by: User) -> None:
    if join_request.status != "pending":
        raise OperationError(
            _("This request was already approved.")
            if join_request.status == "approved"
            else _("This request was already rejected."),
            409,
        )
    reason = (reason or "").strip()
    if not approve and not reason:
        raise OperationError(_("Give the requester a reason for the rejection."))
    if approve:
        add_member(join_request.group, join_request.user, GroupRole.MEMBER, by, tell=False)
    join_request.status = "approved" if approve else "rejected"
    join_request.seal(reason=reason[:2000])
    join_request.decided_by_id, join_request.decided_at = by.id, utcnow()
    # The notice names no reason: it is stored in clear, the reason is shown sealed on the
    # group's page.
    notify.send(
        current_app._get_current_object(),
        user_ids=[join_request.user_id],
        kind="join_decision",
        params={"group": join_request.group.name, "approved": approve},
        link=f"/groups/{join_request.group_id}",
        subject=f"group:{join_request.group_id}",
    )
    audit.record(
        f"join_request.{join_request.status}",
        actor=by,
        target=join_request.group,
        details={"id": join_request.id, "user_id": join_request.user_id},
    )


def pending_requests(group: WorkingGroup) -> list[JoinRequest]:
    return pending_requests_by_group([group]).get(group.id, [])


def _pending(group_ids: list[int]) -> Select:
    return (
        select(JoinRequest)
        .options(joinedload(JoinRequest.user))
        .where(JoinRequest.group_id.in_(group_ids), JoinRequest.status == "pending")
        .order_by(JoinRequest.created_at, JoinRequest.id)
    )


def pending_requests_statement(group: WorkingGroup) -> Select:
    """The group's pending join requests, oldest first, for a paged list."""
    return _pending([group.id])


def pending_requests_by_group(groups: list) -> dict[int, list[JoinRequest]]:
    """Pending join requests of several groups in one query, keyed by group id."""
    by_group: dict[int, list[JoinRequest]] = {}
    if not groups:
        return by_group
    rows = db.session.scalars(_pending([g.id for g in groups]))
    for row in rows:
        by_group.setdefault(row.group_id, []).append(row)
    return by_group


def requests_of(user: User) -> list[JoinRequest]:
    return list(db.session.scalars(_REQUESTS_OF, {"user_id": user.id}))
