"""TLP 2.0 markings and releasability: what a label means for who may read an item.

Every content feature (documents, threads, meetings) asks ``read_marked`` so the
meaning of a label is written once. Labels are never translated.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext as _

from emisa.access.decision import Decision, allow, deny


class Tlp(StrEnum):
    CLEAR = "TLP:CLEAR"
    GREEN = "TLP:GREEN"
    AMBER = "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT"
    RED = "TLP:RED"

    @property
    def library_visible(self) -> bool:
        """GREEN and CLEAR reach every active account through the library."""
        return self in (Tlp.GREEN, Tlp.CLEAR)

    @property
    def reshareable(self) -> bool:
        """Only AMBER may be re-shared by a coordinator to another group."""
        return self is Tlp.AMBER


class InvalidMarking(ValueError):
    """An unknown TLP label, shown to the person as is."""


def parse_tlp(value: str) -> Tlp:
    try:
        return Tlp((value or "").strip())
    except ValueError:
        accepted = ", ".join(label.value for label in Tlp)
        raise InvalidMarking(
            _(
                "'%(value)s' is not a TLP label; use one of: %(accepted)s.",
                value=value,
                accepted=accepted,
            )
        ) from None


@dataclass(frozen=True)
class Marking:
    """The marking of one item, as the policy needs it."""

    tlp: Tlp
    group_id: int
    releasable_to: Collection[str] = ()
    # For TLP:RED only: the named recipients (the author is always one of them).
    recipient_ids: Collection[int] = ()
    # Further groups an AMBER item was re-shared to by a coordinator.
    shared_group_ids: Collection[int] = ()
    # The country restrictions the item carries from its origin group (and groups it left).
    origin_countries: Collection[str] = ()
    # A coordinator published it on the public page (TLP:CLEAR documents only).
    public: bool = False


def read_marking(user, marking: Marking, member_group_ids: Collection[int]) -> Decision:
    """What the label, countries and recipients of an (authentic) marking allow ``user``.

    ``member_group_ids`` are the groups the user belongs to. A denial hides the
    item (404): who is not allowed to read an item is not told it exists. Rules
    call ``emisa.access.marked.read_marked``, which first checks the seal.
    """
    if marking.origin_countries and user.country not in marking.origin_countries:
        return deny("not open to your country where this item comes from", hide=True)
    if marking.releasable_to and user.country not in marking.releasable_to:
        return deny("not releasable to your country", hide=True)
    if user.is_partner and not marking.tlp.library_visible:
        return deny("partner accounts read only TLP:GREEN and TLP:CLEAR", hide=True)
    if marking.tlp.library_visible:
        return allow("TLP:GREEN/CLEAR items reach every active account")
    in_group = marking.group_id in member_group_ids
    if marking.tlp is Tlp.RED:
        if user.id in marking.recipient_ids and in_group:
            return allow("named recipient")
        return deny("TLP:RED items are for their named recipients only", hide=True)
    if in_group:
        return allow("group member")
    if marking.tlp is Tlp.AMBER and any(g in member_group_ids for g in marking.shared_group_ids):
        return allow("member of a group this item was shared with")
    return deny("only group members may read this item", hide=True)
