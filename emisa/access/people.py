"""Rules for profiles, the directory, the expertise vocabulary and national contact points.

Who sees a profile field: the person themself always; anyone else only if both the whole
profile and the field are open to them: ``platform`` opens it to every active account,
``co-members`` to people who share a group with the person *that the viewer can see* (a
group later closed to the viewer's country no longer counts: its membership is not theirs
to know). Partners follow the same rule; they are members of groups like anyone else and
see no membership of a group they are not in. Accounts that cannot sign in (invited,
suspended, expired) are in no one's directory.

Platform admins see the name, organisation and country of every active account, because
they create and manage those accounts (the account pages show them anyway) and need them
to name network coordinators and designate contact points; every other field, contact
details above all, they see only as any other account would.

``emisa.access.sql.DirectoryClauses`` is the SQL twin of these rules, so the directory is
filtered, counted and paged by the database; ``tests/people`` proves both agree.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

from emisa.access.decision import Decision, allow, deny
from emisa.access.groups import view_group
from emisa.access.membership import memberships_of
from emisa.access.policy import PLATFORM, rule
from emisa.access.roles import GroupRole
from emisa.access.visibility import IDENTITY_FIELDS, Visibility


class ProfileField(NamedTuple):
    """One field of one profile, as the policy judges it."""

    __policy_type__ = "profile_field"

    profile: Any
    field: str


def viewer_group_ids(viewer) -> list[int]:
    """The groups ``viewer`` belongs to and may still see: the only memberships that make
    anyone a co-member of theirs."""
    return sorted(
        gid
        for gid, membership in memberships_of(viewer).items()
        if view_group(viewer, membership.group)
    )


def shared_group_ids(viewer, subject) -> list[int]:
    """Groups both belong to that the viewer may see (what "co-members" means)."""
    mine = set(viewer_group_ids(viewer))
    return sorted(mine & set(memberships_of(subject)))


def reach(viewer, subject) -> Visibility | None:
    """The level a field needs for ``viewer`` to see it on ``subject``'s profile; None: itself."""
    if viewer.id == subject.id:
        return None
    return Visibility.CO_MEMBERS if shared_group_ids(viewer, subject) else Visibility.PLATFORM


def _open_to(profile, field: str, needed: Visibility | None) -> bool:
    if needed is None:
        return True
    return min(profile.level("profile"), profile.level(field)) >= needed


_HIDDEN = deny("No such person, or their profile is not visible to you.", hide=True)


@rule("profile", "view")
def _view_profile(viewer, profile) -> Decision:
    """The profile is in the viewer's directory at all."""
    subject = profile.user
    if viewer.id == subject.id:
        return allow("own profile")
    if not subject.is_usable:
        return _HIDDEN
    if viewer.is_admin:
        return allow("platform admin: accounts they manage")
    if _open_to(profile, "profile", reach(viewer, subject)):
        return allow("profile visible")
    return _HIDDEN


@rule("profile", "export_vcard")
def _export_vcard(viewer, profile) -> Decision:
    """A card needs a name: a profile whose name is hidden has nothing to export."""
    decision = _view_profile(viewer, profile)
    if decision and not _view_field(viewer, ProfileField(profile, "name")):
        return _HIDDEN
    return decision


@rule("profile_field", "view")
def _view_field(viewer, item: ProfileField) -> Decision:
    profile, field = item
    subject = profile.user
    if viewer.id == subject.id:
        return allow("own profile")
    if not _view_profile(viewer, profile):
        return _HIDDEN
    if viewer.is_admin and field in IDENTITY_FIELDS:
        return allow("platform admin: account data")
    if _open_to(profile, field, reach(viewer, subject)):
        return allow("field visible")
    return deny("This detail is not visible to you.", hide=True)


@rule("profile", "edit")
def _edit_profile(viewer, profile) -> Decision:
    """Only the person edits their profile; an admin corrects accounts, not profiles."""
    if viewer.id == profile.user_id:
        return allow("own profile")
    return deny("Only the person can edit their profile.")


@rule(PLATFORM, "search_people")
def _search_people(_viewer, _resource) -> Decision:
    return allow("active account")


def _coordinates_anything(user) -> bool:
    from emisa.extensions import db
    from emisa.people.models import NetworkCoordinator

    if any(m.role == GroupRole.COORDINATOR for m in memberships_of(user).values()):
        return True
    found = db.session.scalar(
        sa.select(NetworkCoordinator.user_id).where(NetworkCoordinator.user_id == user.id).limit(1)
    )
    return found is not None


@rule(PLATFORM, "curate_expertise")
def _curate_expertise(user, _resource) -> Decision:
    """The shared expertise vocabulary: admins and coordinators (of a group or a network)."""
    if user.is_admin or _coordinates_anything(user):
        return allow("curator")
    return deny("Only coordinators and administrators curate the expertise vocabulary.")


@rule("network", "view")
def _view_network(_user, _network) -> Decision:
    """Networks and where they have contact points are known to every active account."""
    return allow("active account")


@rule("network", "edit")
def _edit_network(user, _network) -> Decision:
    if user.is_admin:
        return allow("platform admin")
    return deny("Only administrators manage networks.")


@rule("network", "designate")
def _designate(user, network) -> Decision:
    """Designating and removing contact points: the network's coordinators and admins."""
    if user.is_admin:
        return allow("platform admin")
    if user.id in network.coordinator_ids():
        return allow("network coordinator")
    return deny("Only the network's coordinators and administrators designate contact points.")
