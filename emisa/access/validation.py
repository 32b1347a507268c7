"""The one validator of markings, for every marked kind (documents, threads, meetings).

The strictest rule any feature ever applied holds for all of them: the author
can read what they mark, partners mark only TLP:GREEN or TLP:CLEAR and never
receive TLP:RED, named recipients are members of the group from a country both
the releasable-to list and the group's (carried) restrictions allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from emisa.access.countries import UnknownCountry, normalise_countries
from emisa.access.marked import narrowed
from emisa.access.markings import InvalidMarking, Tlp, parse_tlp

if TYPE_CHECKING:
    from emisa.accounts.models import User


@dataclass(frozen=True)
class ValidMarking:
    """A checked marking, ready to be stored on an item of ``group``."""

    tlp: Tlp
    releasable_to: list[str]
    # The countries the item is restricted to by where it comes from (see ``Marked``).
    origin_countries: list[str]
    # TLP:RED only: the named recipients, the author first.
    recipients: list[User]

    @property
    def recipient_ids(self) -> list[int]:
        return [person.id for person in self.recipients]


def _refs(value) -> list[str]:
    """Recipients as ids or e-mail addresses, from a list or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str | int):
        value = str(value).split(",")
    return [str(part).strip() for part in value if str(part).strip()]


def _member(group, ref: str) -> User:
    """The member of ``group`` that ``ref`` (an id or an e-mail address) names."""
    names = (lambda u: u.id == int(ref)) if ref.isdigit() else (lambda u: u.email == ref.lower())
    user = next((m.user for m in group.memberships if names(m.user)), None)
    if user is None:
        raise InvalidMarking(
            _("'%(ref)s' is not a member of this group; TLP:RED goes to members only.", ref=ref)
        )
    return user


def recipient_problem(user: User, releasable_to: Iterable[str], countries: Iterable[str]) -> str:
    """Why ``user`` cannot be a TLP:RED recipient ("" if they can): also for choice lists."""
    releasable_to, countries = list(releasable_to), list(countries)
    if user.is_partner:
        return f"{user.name} is a partner account and cannot receive TLP:RED."
    if releasable_to and user.country not in releasable_to:
        return f"{user.name} is from {user.country}, outside the releasable-to countries."
    if countries and user.country not in countries:
        return f"{user.name} is from {user.country}, a country this group's content is not open to."
    return ""


def eligible_recipients(group) -> list[User]:
    """Members who may be named TLP:RED recipients in ``group``, by name (for choice lists)."""
    members = (m.user for m in group.memberships)
    allowed = [u for u in members if not recipient_problem(u, (), group.allowed_countries)]
    return sorted(allowed, key=lambda u: u.name.casefold())


def validate_marking(
    group,
    author: User,
    *,
    tlp,
    releasable_to=None,
    recipients=None,
    carried: Iterable[str] = (),
) -> ValidMarking:
    """Check a marking as a whole; raises ``InvalidMarking`` with a sentence the author can act on.

    ``carried`` are country restrictions the content brings from elsewhere (e.g. the thread
    a file is attached to); the result's ``origin_countries`` narrows them by the group's.
    """
    try:
        label = parse_tlp(tlp or "")
        countries = normalise_countries(releasable_to)
    except UnknownCountry as error:
        raise InvalidMarking(str(error)) from None
    if author.is_partner and not label.library_visible:
        raise InvalidMarking(_("Partner accounts share TLP:GREEN or TLP:CLEAR content only."))
    if countries and author.country not in countries:
        raise InvalidMarking(
            _(
                "Releasable-to must include your own country (%(country)s), "
                "or you could not read what you share.",
                country=author.country,
            )
        )
    origin = narrowed(group.allowed_countries, carried)
    people: list[User] = []
    refs = _refs(recipients)
    if label is Tlp.RED:
        for ref in refs:
            person = _member(group, ref)
            problem = recipient_problem(person, countries, origin)
            if problem:
                raise InvalidMarking(problem)
            if person.id != author.id and person not in people:
                people.append(person)
        people.insert(0, author)
    elif refs:
        raise InvalidMarking(_("Named recipients are only for TLP:RED content."))
    return ValidMarking(label, countries, origin, people)


def apply_marking(item, marking: ValidMarking) -> None:
    """Store a checked marking on ``item`` (with its id) and seal it under the group key."""
    from emisa.access.marked import seal_marking

    item.tlp = marking.tlp.value
    item.releasable_to = marking.releasable_to
    item.origin_countries = marking.origin_countries
    item.set_recipients(marking.recipient_ids)
    seal_marking(item)
