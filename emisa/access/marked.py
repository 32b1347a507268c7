"""The one shape of marked content: label, releasable-to, recipients, carried countries, seal.

Every marked kind (documents, threads, meetings, and whatever is marked later)
mixes in ``Marked``: the columns, the named recipients in the one
``marked_recipients`` table, and a single ``marking`` property the policy reads.
The marking is sealed under the group key (``seal_marking``): an edit of the
marking in the database alone no longer matches its seal, so ``verify_marking``
fails and the item becomes unreadable instead of more visible.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable

from flask import g, has_app_context
from sqlalchemy import JSON, ForeignKey, LargeBinary, String, and_, exists
from sqlalchemy.orm import Mapped, declared_attr, foreign, mapped_column, relationship
from sqlalchemy.sql.expression import ColumnElement

from emisa.access.decision import Decision, deny
from emisa.access.markings import Marking, Tlp, read_marking
from emisa.access.membership import member_group_ids
from emisa.access.sql import MarkedColumns
from emisa.extensions import db

log = logging.getLogger(__name__)


class MarkedRecipient(db.Model):
    """A named reader of a TLP:RED item of any kind (the author is always one)."""

    __tablename__ = "marked_recipients"

    # The item's kind (``Marked.__marked_kind__``: "document", "thread", "meeting") and id.
    item_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # The item's group: deleting a group removes the recipients of all its items.
    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )


# Stands for "no country" when restrictions exclude each other: no account has it.
NO_COUNTRY = "--"


def narrowed(*restrictions: Iterable[str]) -> list[str]:
    """The countries allowed by every non-empty restriction (empty: no restriction at all).

    Restrictions that exclude each other give ``[NO_COUNTRY]``, a restriction nobody
    passes, never the empty list, which would mean open to every country.
    """
    result: set[str] | None = None
    for countries in restrictions:
        countries = set(countries or ())
        if countries:
            result = countries if result is None else result & countries
    if result is None:
        return []
    return sorted(result) or [NO_COUNTRY]


class Marked:
    """Mixin of every marked model; subclasses set ``__marked_kind__`` and have ``group_id``."""

    __marked_kind__: str

    tlp: Mapped[str] = mapped_column(String(20))  # a TLP 2.0 label, e.g. "TLP:AMBER+STRICT"
    # ISO alpha-2 codes; empty: no country restriction beyond the label.
    releasable_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The country restrictions of the groups the item comes from (its origin group's allowed
    # countries, narrowed by every group it left); they travel with it. Empty: none.
    origin_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The marking sealed under the group key (see ``marking_aad``); a seal that is empty or
    # does not match means the marking was changed outside the platform.
    marking_seal: Mapped[bytes] = mapped_column(LargeBinary, default=b"")

    @declared_attr
    def marked_recipients(cls) -> Mapped[list[MarkedRecipient]]:
        return relationship(
            MarkedRecipient,
            primaryjoin=lambda: and_(
                MarkedRecipient.item_kind == cls.__marked_kind__,
                foreign(MarkedRecipient.item_id) == cls.id,
            ),
            cascade="all, delete-orphan",
            overlaps="marked_recipients",
        )

    @property
    def label(self) -> Tlp:
        return Tlp(self.tlp)

    @property
    def recipient_ids(self) -> tuple[int, ...]:
        """Named recipients; only a TLP:RED item has them (not even loaded otherwise)."""
        if self.tlp != Tlp.RED.value:
            return ()
        return tuple(sorted(r.user_id for r in self.marked_recipients))

    @property
    def named_recipients(self) -> list:
        """The named recipients' accounts, by name (for pages)."""
        from emisa.accounts.models import User

        ids = self.recipient_ids
        if not ids:
            return []
        return list(db.session.scalars(db.select(User).where(User.id.in_(ids)).order_by(User.name)))

    def set_recipients(self, user_ids: Iterable[int]) -> None:
        self.marked_recipients = [
            MarkedRecipient(item_kind=self.__marked_kind__, user_id=uid, group_id=self.group_id)
            for uid in sorted(set(user_ids))
        ]

    @classmethod
    def marked_columns(cls) -> MarkedColumns:
        """The marking as SQL sees it, for lists filtered by ``readable_clause``."""
        return MarkedColumns(
            group_id=cls.group_id,
            tlp=cls.tlp,
            releasable_to=cls.releasable_to,
            origin_countries=cls.origin_countries,
            recipient=lambda user_id: exists().where(
                MarkedRecipient.item_kind == cls.__marked_kind__,
                MarkedRecipient.item_id == cls.id,
                MarkedRecipient.user_id == user_id,
            ),
            shared_with=cls.shared_with_clause,
        )

    @classmethod
    def shared_with_clause(cls, group_ids: Collection[int]) -> ColumnElement[bool] | None:
        """SQL twin of ``shared_group_ids``: None, never re-shared (documents override this)."""
        return None

    @property
    def shared_group_ids(self) -> tuple[int, ...]:
        """Further groups the item was re-shared to (documents override this)."""
        return ()

    @property
    def published(self) -> bool:
        """Shown to anyone on the public page (documents override this)."""
        return False

    @property
    def marking(self) -> Marking:
        return Marking(
            tlp=self.label,
            group_id=self.group_id,
            releasable_to=tuple(sorted(self.releasable_to or ())),
            recipient_ids=self.recipient_ids,
            shared_group_ids=self.shared_group_ids,
            origin_countries=tuple(sorted(self.origin_countries or ())),
            public=self.published,
        )


def marking_aad(kind: str, item_id: int, marking: Marking) -> str:
    """What the seal authenticates: the item's identity and every part of its marking."""
    canonical = json.dumps(
        {
            "group": marking.group_id,
            "tlp": marking.tlp.value,
            "releasable_to": sorted(marking.releasable_to),
            "origin_countries": sorted(marking.origin_countries),
            "recipients": sorted(marking.recipient_ids),
            "shared_with": sorted(marking.shared_group_ids),
            "public": marking.public,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return f"marking:{kind}:{item_id}:{canonical}"


def seal_marking(item: Marked) -> None:
    """(Re-)seal the item's marking under its group's current key; call after every change.

    The item must have its id (flush first). The seal is a field blob with an empty
    plaintext: AES-GCM then is a MAC (GMAC) over the marking given as associated data.
    """
    from emisa.crypto import keyring

    db.session.flush()
    aad = marking_aad(item.__marked_kind__, item.id, item.marking)
    item.marking_seal = keyring.seal_bytes(item.group_id, b"", aad)


def verify_marking(item: Marked) -> bool:
    """Does the stored marking still match the seal made when it was last set?"""
    from emisa.crypto import keyring
    from emisa.crypto.errors import CryptoError

    seal = item.marking_seal
    if not seal:
        return False
    aad = marking_aad(item.__marked_kind__, item.id, item.marking)
    # A page checks one item several times (read, reply, moderate): verified once per request.
    cache = g.setdefault("emisa_verified_markings", {}) if has_app_context() else {}
    key = (item.group_id, seal, aad)
    if key not in cache:
        try:
            keyring.open_bytes(item.group_id, seal, aad)
            cache[key] = True
        except CryptoError:
            cache[key] = False
    return cache[key]


INTEGRITY_MESSAGE = (
    "This item's marking failed its integrity check (it was changed outside the platform), "
    "so it cannot be shown. The incident was recorded and the administrators alerted."
)


def _integrity_failure(user, item: Marked, groups: Iterable[int]) -> Decision:
    """Audit and alert once per request; members of the group are told why, others see 404."""
    from emisa import audit

    reported = g.setdefault("emisa_reported_markings", set()) if has_app_context() else set()
    if (item.__marked_kind__, item.id) not in reported:
        reported.add((item.__marked_kind__, item.id))
        log.error("ALERT: %s %s: marking fails its seal", item.__marked_kind__, item.id)
        audit.record_event(
            "marking.integrity_failure",
            outcome="failed",
            target=item,
            details={"kind": item.__marked_kind__},
        )
    if item.group_id in groups:
        return deny(INTEGRITY_MESSAGE, status=500)
    return deny("marking fails its integrity check", hide=True)


def read_marked(user, item: Marked) -> Decision:
    """The one read rule of marked content: an authentic marking, then what it allows ``user``."""
    groups = member_group_ids(user)
    if not verify_marking(item):
        return _integrity_failure(user, item, groups)
    return read_marking(user, item.marking, groups)


def reseal_markings(model: type[Marked], group_id: int) -> None:
    """Group key rotation: move the group's intact seals to the new key version.

    A seal that no longer matches stays as it is: the item stays unreadable (and
    after the rotation its key version is gone), rather than a rotation blessing
    a marking someone changed in the database.
    """
    from emisa.crypto import keyring

    for item in db.session.scalars(db.select(model).where(model.group_id == group_id)):
        if verify_marking(item):
            aad = marking_aad(item.__marked_kind__, item.id, item.marking)
            item.marking_seal = keyring.reseal(item.group_id, item.marking_seal, aad)
        else:
            log.error("ALERT: %s %s: marking fails its seal; left unsealed", model, item.id)
