"""Profiles, the directory and national contact points: the rules, callable without a request.

Rights are checked by the callers through the access policy; these functions validate what
a person typed, keep the state rules (a contact point is from the country it serves, once
per network, country and agency type) and audit what they change.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pycountry
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from emisa import audit
from emisa.access import can, filter_allowed
from emisa.access.countries import UnknownCountry, normalise_countries, normalise_country
from emisa.access.membership import preload_memberships
from emisa.access.people import ProfileField
from emisa.access.sql import DirectoryClauses, json_list_has, usable_clause
from emisa.access.visibility import FIELD_DEFAULTS, FIELDS, Visibility
from emisa.accounts.models import User
from emisa.extensions import db
from emisa.groups.operations import slugify
from emisa.operations import OperationError
from emisa.people.models import (
    AgencyType,
    ContactPoint,
    ExpertiseTerm,
    Network,
    NetworkCoordinator,
    Profile,
    ProfilePhoto,
)
from emisa.timeutil import utcnow

PER_PAGE = 25
MAX_TAGS = 30
MAX_LANGUAGES = 20
LIMITS = {
    "name": 120,
    "organisation": 200,
    "position": 200,
    "bio": 2000,
    "phone": 50,
    "secure_email": 254,
    "other_contact": 300,
    "tag": 60,
}
LANGUAGES: dict[str, str] = {
    language.alpha_2: language.name
    for language in sorted(pycountry.languages, key=lambda lang: lang.name)
    if hasattr(language, "alpha_2")
}
# Bidirectional embeddings, overrides and isolates: in a name they reorder what others read
# ("moc.lopretne" shown as "europol.com"); Unicode's joiners stay (Persian and Indic need them).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_PHONE = re.compile(r"\+?[0-9 ()./-]{3,50}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# Profiles


def profile_of(user: User) -> Profile:
    """The stored profile, or the defaults of one never edited (not added to the session)."""
    return db.session.get(Profile, user.id) or Profile.blank(user)


def _clean_text(value, what: str, limit: int, *, multiline: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise OperationError(_("%(field)s must be text.", field=what))
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if _BIDI_CONTROLS.search(text) or any(
        unicodedata.category(ch) == "Cc" and not (multiline and ch == "\n") for ch in text
    ):
        raise OperationError(_("%(field)s contains control characters.", field=what))
    if len(text) > limit:
        raise OperationError(
            _("%(field)s is longer than %(limit)d characters.", field=what, limit=limit)
        )
    return text


def clean_tags(values, known: dict[str, str]) -> list[str]:
    """Tags as typed, deduplicated without regard to case; a vocabulary term keeps its spelling."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list):
        raise OperationError(_("Expertise must be a list of tags."))
    tags: dict[str, str] = {}
    for value in values:
        tag = " ".join(_clean_text(value, _l("A tag"), LIMITS["tag"]).split())
        if tag:
            tags.setdefault(tag.casefold(), known.get(tag.casefold(), tag))
    if len(tags) > MAX_TAGS:
        raise OperationError(_("At most %(count)d areas of expertise.", count=MAX_TAGS))
    return list(tags.values())


def clean_languages(values) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise OperationError(_("Languages must be a list of ISO 639-1 codes."))
    codes = []
    for value in values:
        code = value.strip().lower()
        if not code:
            continue
        if code not in LANGUAGES:
            raise OperationError(_("'%(code)s' is not an ISO 639-1 language code.", code=value))
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_LANGUAGES:
        raise OperationError(_("At most %(count)d languages.", count=MAX_LANGUAGES))
    return codes


def clean_visibility(values) -> dict[str, Visibility]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise OperationError(_("visibility must be an object of field names and levels."))
    levels = {}
    for name, word in values.items():
        if name not in FIELD_DEFAULTS:
            raise OperationError(_("'%(field)s' has no visibility of its own.", field=name))
        try:
            levels[name] = Visibility.from_word(word)
        except ValueError:
            raise OperationError(
                _("Visibility must be nobody, co-members or platform, not '%(value)s'.", value=word)
            ) from None
    return levels


def vocabulary() -> list[str]:
    return list(db.session.scalars(sa.select(ExpertiseTerm.label).order_by(ExpertiseTerm.label)))


def update_profile(user: User, values: dict) -> Profile:
    """Apply a change to the person's own profile; all or nothing, audited by field name."""
    profile = db.session.get(Profile, user.id)
    if profile is None:
        profile = Profile.blank(user)
        db.session.add(profile)
    changed: list[str] = []

    def put(target, attribute: str, value) -> None:
        if getattr(target, attribute) != value:
            setattr(target, attribute, value)
            changed.append(attribute)

    if "name" in values:
        name = _clean_text(values["name"], _l("Name"), LIMITS["name"])
        if not name:
            raise OperationError(_("Your name cannot be empty."))
        put(user, "name", name)
    if "organisation" in values:
        organisation = _clean_text(
            values["organisation"], _l("Organisation"), LIMITS["organisation"]
        )
        if not organisation:
            raise OperationError(_("Your organisation cannot be empty."))
        put(user, "organisation", organisation)
    for name, label, multiline in (
        ("position", _l("Position"), False),
        ("bio", _l("Biography"), True),
        ("other_contact", _l("Other contact"), True),
    ):
        if name in values:
            put(profile, name, _clean_text(values[name], label, LIMITS[name], multiline=multiline))
    if "phone" in values:
        phone = _clean_text(values["phone"], _l("Work phone"), LIMITS["phone"])
        if phone and not _PHONE.fullmatch(phone):
            raise OperationError(_("A phone number has digits, spaces and + ( ) . / - only."))
        put(profile, "phone", phone)
    if "secure_email" in values:
        email = _clean_text(values["secure_email"], _l("Secure email"), LIMITS["secure_email"])
        if email and not _EMAIL.fullmatch(email):
            raise OperationError(_("'%(value)s' is not an email address.", value=email))
        put(profile, "secure_email", email)
    if "agency_type" in values:
        agency = values["agency_type"] or None
        if agency is not None and agency not in {a.value for a in AgencyType}:
            raise OperationError(
                _(
                    "Unknown agency type '%(value)s'; use one of: %(accepted)s.",
                    value=agency,
                    accepted=", ".join(a.value for a in AgencyType),
                )
            )
        put(profile, "agency_type", agency)
    if "languages" in values:
        put(profile, "languages", clean_languages(values["languages"]))
    if "expertise" in values:
        known = {term.casefold(): term for term in vocabulary()}
        put(profile, "expertise", clean_tags(values["expertise"], known))
    for name, level in clean_visibility(values.get("visibility")).items():
        if profile.level(name) != level:
            profile.set_level(name, level)
            changed.append(f"visibility.{name}")
    if changed:
        profile.updated_at = utcnow()
        audit.record("profile.updated", target=user, details={"fields": sorted(changed)})
    db.session.flush()
    return profile


def store_photo(user: User, data: bytes, width: int, height: int) -> None:
    """Keep the re-encoded photo (``emisa.people.photo.reencode`` made it)."""
    photo = db.session.get(ProfilePhoto, user.id)
    if photo is None:
        photo = ProfilePhoto(user_id=user.id)
        db.session.add(photo)
    photo.data, photo.width, photo.height, photo.updated_at = data, width, height, utcnow()
    profile = db.session.get(Profile, user.id)
    if profile is None:
        profile = Profile.blank(user)
        db.session.add(profile)
    profile.has_photo = True
    audit.record("profile.photo_set", target=user, details={"width": width, "height": height})
    db.session.flush()


def remove_photo(user: User) -> None:
    photo = db.session.get(ProfilePhoto, user.id)
    profile = db.session.get(Profile, user.id)
    if photo is not None:
        db.session.delete(photo)
        audit.record("profile.photo_removed", target=user)
    if profile is not None:
        profile.has_photo = False
    db.session.flush()


def photo_of(user: User) -> ProfilePhoto | None:
    return db.session.get(ProfilePhoto, user.id)


# What a viewer sees


def visible_fields(viewer: User, profile: Profile) -> set[str]:
    """The fields of ``profile`` the policy lets ``viewer`` see."""
    return {name for name in FIELDS if can(viewer, "view", ProfileField(profile, name))}


def shown(viewer: User, profile: Profile) -> dict:
    """The profile as ``viewer`` may see it: hidden fields are absent (identity ones null)."""
    user = profile.user
    seen = visible_fields(viewer, profile)
    entry: dict = {
        "id": user.id,
        "name": user.name if "name" in seen else None,
        "organisation": user.organisation if "organisation" in seen else None,
        "country": user.country if "country" in seen else None,
    }
    for name in ("position", "agency_type", "bio", "phone", "secure_email", "other_contact"):
        if name in seen:
            entry[name] = getattr(profile, name) or ("" if name != "agency_type" else None)
    for name in ("languages", "expertise"):
        if name in seen:
            entry[name] = list(getattr(profile, name) or [])
    if "photo" in seen:
        entry["has_photo"] = bool(profile.has_photo)
    return entry


def own_profile(user: User, profile: Profile) -> dict:
    """The person's own profile, with the visibility of every field."""
    entry = shown(user, profile)
    entry["visibility"] = {name: profile.level(name).word for name in FIELD_DEFAULTS}
    return entry


# The directory


@dataclass(frozen=True)
class DirectoryFilter:
    q: str = ""
    country: str = ""
    agency_type: str = ""
    expertise: str = ""
    language: str = ""
    group_id: int | None = None

    @classmethod
    def from_args(cls, args, group_id: int | None) -> DirectoryFilter:
        def arg(name: str, limit: int = 100) -> str:
            value = (args.get(name) or "").strip()
            if len(value) > limit:
                raise OperationError(_("The %(name)s filter is too long.", name=name))
            return value

        country = arg("country", 2).upper()
        if country:
            try:
                country = normalise_country(country)
            except UnknownCountry as error:
                raise OperationError(str(error)) from None
        agency = arg("agency_type", 30)
        if agency and agency not in {a.value for a in AgencyType}:
            raise OperationError(_("Unknown agency type '%(value)s'.", value=agency))
        language = arg("language", 3).lower()
        if language and language not in LANGUAGES:
            raise OperationError(_("'%(code)s' is not an ISO 639-1 language code.", code=language))
        return cls(
            q=arg("q"),
            country=country,
            agency_type=agency,
            expertise=arg("expertise", LIMITS["tag"]),
            language=language,
            group_id=group_id,
        )

    @property
    def active(self) -> bool:
        return any((self.q, self.country, self.agency_type, self.expertise, self.language)) or (
            self.group_id is not None
        )

    def audit_details(self) -> dict:
        """Which filters were used; the typed search words stay out of the audit log."""
        return {
            "q": bool(self.q),
            "country": self.country or None,
            "agency_type": self.agency_type or None,
            "expertise": bool(self.expertise),
            "language": self.language or None,
            "group_id": self.group_id,
        }


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def directory_statement(viewer: User, wanted: DirectoryFilter) -> sa.Select:
    """The accounts ``viewer`` may find with ``wanted``: each filter matches only a field the
    viewer may see, so a filter is never an oracle for a hidden value."""
    from emisa.groups.models import Membership

    rules = DirectoryClauses(viewer)
    # By name where the viewer may see it; hidden names after, by id: sorting by a hidden
    # name would tell where it falls in the alphabet.
    name_seen = rules.field_visible("name")
    statement = (
        sa.select(User, Profile)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(rules.profile_visible())
        .order_by(
            sa.case((name_seen, 0), else_=1),
            sa.case((name_seen, User.name), else_=""),
            User.id,
        )
    )
    if wanted.q:
        pattern = _like(wanted.q)
        statement = statement.where(
            sa.or_(
                sa.and_(rules.field_visible("name"), User.name.ilike(pattern, escape="\\")),
                sa.and_(
                    rules.field_visible("organisation"),
                    User.organisation.ilike(pattern, escape="\\"),
                ),
            )
        )
    if wanted.country:
        statement = statement.where(rules.field_visible("country"), User.country == wanted.country)
    if wanted.agency_type:
        statement = statement.where(
            rules.field_visible("agency_type"), Profile.agency_type == wanted.agency_type
        )
    if wanted.expertise:
        statement = statement.where(
            rules.field_visible("expertise"),
            json_list_has(Profile.expertise, sa.literal(wanted.expertise)),
        )
    if wanted.language:
        statement = statement.where(
            rules.field_visible("languages"),
            json_list_has(Profile.languages, sa.literal(wanted.language)),
        )
    if wanted.group_id is not None:
        # The caller checked ``list_members`` on the group: its membership is theirs to know.
        statement = statement.where(
            sa.exists().where(Membership.user_id == User.id, Membership.group_id == wanted.group_id)
        )
    return statement


def directory(
    viewer: User, wanted: DirectoryFilter, page: int, per_page: int = PER_PAGE
) -> tuple[list[Profile], int]:
    """One page of the directory and how many entries it has in all (counted in SQL)."""
    statement = directory_statement(viewer, wanted)
    counted = sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    total = db.session.scalar(counted)
    rows = db.session.execute(statement.offset((page - 1) * per_page).limit(per_page)).all()
    profiles = [profile if profile is not None else Profile.blank(user) for user, profile in rows]
    preload_memberships([profile.user_id for profile in profiles])
    # The SQL twin chose the page; the policy has the last word on each row shown.
    return filter_allowed(viewer, "view", profiles), total


# Expertise vocabulary


def add_term(label: str) -> ExpertiseTerm:
    label = " ".join(_clean_text(label, _l("A tag"), LIMITS["tag"]).split())
    if not label:
        raise OperationError(_("A tag cannot be empty."))
    if label.casefold() in {term.casefold() for term in vocabulary()}:
        raise OperationError(_("'%(tag)s' is already in the vocabulary.", tag=label), 409)
    term = ExpertiseTerm(label=label)
    db.session.add(term)
    db.session.flush()
    audit.record("expertise.term_added", target_type="expertise_term", target_id=term.id)
    return term


def remove_term(term: ExpertiseTerm) -> None:
    """Profiles keep the tag as a free tag: removing a term rewrites no one's profile."""
    audit.record("expertise.term_removed", target_type="expertise_term", target_id=term.id)
    db.session.delete(term)
    db.session.flush()


# Networks and national contact points


def create_network(name: str, description: str = "", countries=()) -> Network:
    name = " ".join(_clean_text(name, _l("Name"), 120).split())
    if len(name) < 2:
        raise OperationError(_("A network needs a name."))
    try:
        codes = normalise_countries(countries)
    except UnknownCountry as error:
        raise OperationError(str(error)) from None
    slug = slugify(name)
    taken = db.session.scalar(
        sa.select(Network.id).where(sa.or_(Network.name == name, Network.slug == slug))
    )
    if taken is not None:
        raise OperationError(_("A network named %(name)s exists already.", name=name), 409)
    network = Network(
        name=name,
        slug=slug,
        description=_clean_text(description, _l("Description"), 2000, multiline=True),
        countries=codes,
    )
    db.session.add(network)
    db.session.flush()
    audit.record("network.created", target_type="network", target_id=network.id)
    return network


def set_network_countries(network: Network, countries) -> None:
    try:
        network.countries = normalise_countries(countries)
    except UnknownCountry as error:
        raise OperationError(str(error)) from None
    audit.record(
        "network.countries_set",
        target_type="network",
        target_id=network.id,
        details={"countries": network.countries},
    )
    db.session.flush()


def add_network_coordinator(network: Network, user: User) -> None:
    if not user.is_usable:
        raise OperationError(_("%(name)s cannot sign in at the moment.", name=user.name), 409)
    if user.id in network.coordinator_ids():
        raise OperationError(
            _("%(name)s already coordinates this network.", name=user.name), 409, "exists"
        )
    network.coordinators.append(NetworkCoordinator(user_id=user.id))
    audit.record(
        "network.coordinator_added",
        target_type="network",
        target_id=network.id,
        details={"user_id": user.id},
    )
    db.session.flush()


def remove_network_coordinator(network: Network, user_id: int) -> None:
    for row in list(network.coordinators):
        if row.user_id == user_id:
            network.coordinators.remove(row)
            audit.record(
                "network.coordinator_removed",
                target_type="network",
                target_id=network.id,
                details={"user_id": user_id},
            )
    db.session.flush()


def designate(
    network: Network, country: str, agency_type: str, person: User, by: User | None
) -> ContactPoint:
    """Make ``person`` the network's contact point of ``country`` for ``agency_type``."""
    try:
        country = normalise_country(country)
    except UnknownCountry as error:
        raise OperationError(str(error)) from None
    if agency_type not in {a.value for a in AgencyType}:
        raise OperationError(_("Unknown agency type '%(value)s'.", value=agency_type))
    if not person.is_usable:
        raise OperationError(_("%(name)s cannot sign in at the moment.", name=person.name), 409)
    if person.country != country:
        raise OperationError(
            _(
                "A national contact point is from the country they serve; %(name)s is from "
                "%(country)s.",
                name=person.name,
                country=person.country_name,
            ),
            409,
        )
    exists = db.session.scalar(
        sa.select(ContactPoint.id).where(
            ContactPoint.network_id == network.id,
            ContactPoint.country == country,
            ContactPoint.agency_type == agency_type,
            ContactPoint.user_id == person.id,
        )
    )
    if exists is not None:
        raise OperationError(_("%(name)s is already this contact point.", name=person.name), 409)
    point = ContactPoint(
        network_id=network.id,
        country=country,
        agency_type=agency_type,
        user_id=person.id,
        designated_by_id=by.id if by is not None else None,
    )
    db.session.add(point)
    db.session.flush()
    audit.record(
        "contact_point.designated",
        target_type="network",
        target_id=network.id,
        details={"country": country, "agency_type": agency_type, "user_id": person.id},
    )
    return point


def remove_contact_point(point: ContactPoint) -> None:
    audit.record(
        "contact_point.removed",
        target_type="network",
        target_id=point.network_id,
        details={
            "country": point.country,
            "agency_type": point.agency_type,
            "user_id": point.user_id,
        },
    )
    db.session.delete(point)
    db.session.flush()


def contact_points(
    network: Network | None = None, country: str | None = None, person: User | None = None
) -> list:
    """Designations of active accounts, by network, country and agency type."""
    statement = (
        sa.select(ContactPoint)
        .join(User, User.id == ContactPoint.user_id)
        .join(Network, Network.id == ContactPoint.network_id)
        .where(usable_clause())
        .order_by(Network.name, ContactPoint.country, ContactPoint.agency_type, User.name)
    )
    if network is not None:
        statement = statement.where(ContactPoint.network_id == network.id)
    if country:
        statement = statement.where(ContactPoint.country == country)
    if person is not None:
        statement = statement.where(ContactPoint.user_id == person.id)
    return list(db.session.scalars(statement))


def gaps(network: Network, points: list[ContactPoint]) -> list[tuple[str, list[str]]]:
    """The network's countries, each with the agency types that have no contact point."""
    covered = {(point.country, point.agency_type) for point in points}
    missing = []
    for country in network.countries:
        absent = [a.value for a in AgencyType if (country, a.value) not in covered]
        if absent:
            missing.append((country, absent))
    return missing
