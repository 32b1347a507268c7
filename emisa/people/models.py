"""Profiles of accounts, the expertise vocabulary, networks and their national contact points.

Profile data is personal data, not group content: docs/design.md seals what is said in a
group under its key, and a profile belongs to no group, so it is kept in ordinary columns and
protected by the access policy (``emisa/access/people.py``), field by field.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    ForeignKey,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emisa.access.visibility import FIELD_DEFAULTS, Visibility
from emisa.accounts.models import User
from emisa.extensions import db
from emisa.timeutil import utcnow


class AgencyType(StrEnum):
    POLICE = "police"
    PROSECUTION = "prosecution"
    JUDICIARY = "judiciary"
    PRISON = "prison"
    PROBATION = "probation"
    MINISTRY = "ministry"
    ACADEMIA = "academia"
    NGO = "ngo"
    INTERNATIONAL = "international-organisation"


AGENCY_LABELS = {
    AgencyType.POLICE: _l("Police"),
    AgencyType.PROSECUTION: _l("Prosecution"),
    AgencyType.JUDICIARY: _l("Judiciary"),
    AgencyType.PRISON: _l("Prison"),
    AgencyType.PROBATION: _l("Probation"),
    AgencyType.MINISTRY: _l("Ministry"),
    AgencyType.ACADEMIA: _l("Academia"),
    AgencyType.NGO: _l("NGO"),
    AgencyType.INTERNATIONAL: _l("International organisation"),
}


def agency_label(value: str | None) -> str:
    return str(AGENCY_LABELS.get(value, value or ""))


class Profile(db.Model):
    """One row per account that has edited its profile; an account without one has defaults."""

    __tablename__ = "profiles"
    __policy_type__ = "profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[str] = mapped_column(String(200), default="")
    agency_type: Mapped[str | None] = mapped_column(String(30), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO 639-1 codes
    expertise: Mapped[list[str]] = mapped_column(JSON, default=list)  # tags as shown
    bio: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    secure_email: Mapped[str] = mapped_column(String(254), default="")
    other_contact: Mapped[str] = mapped_column(String(300), default="")
    has_photo: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    vis_profile: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_name: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_organisation: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_country: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_position: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_agency_type: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_languages: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_expertise: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_bio: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_photo: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.CO_MEMBERS))
    vis_phone: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.NOBODY))
    vis_secure_email: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.NOBODY))
    vis_other_contact: Mapped[int] = mapped_column(SmallInteger, default=int(Visibility.NOBODY))

    user: Mapped[User] = relationship()

    def level(self, field: str) -> Visibility:
        stored = getattr(self, f"vis_{field}")
        return FIELD_DEFAULTS[field] if stored is None else Visibility(stored)

    def set_level(self, field: str, level: Visibility) -> None:
        setattr(self, f"vis_{field}", int(level))

    @classmethod
    def blank(cls, user: User) -> Profile:
        """The defaults of an account that never edited its profile (not added to the session)."""
        profile = cls(user_id=user.id, languages=[], expertise=[], has_photo=False)
        profile.user = user
        for field in ("position", "bio", "phone", "secure_email", "other_contact"):
            setattr(profile, field, "")
        for field, level in FIELD_DEFAULTS.items():
            profile.set_level(field, level)
        return profile


class ProfilePhoto(db.Model):
    """The re-encoded photo (never the uploaded bytes), apart so that lists never load it."""

    __tablename__ = "profile_photos"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExpertiseTerm(db.Model):
    """A tag of the shared vocabulary that coordinators and admins curate."""

    __tablename__ = "expertise_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Network(db.Model):
    """A network of national contact points (EMISA working groups, JP-COOPS, HELP, ...)."""

    __tablename__ = "networks"
    __policy_type__ = "network"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # The countries the network spans: the gap list is these countries x agency types.
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    coordinators: Mapped[list[NetworkCoordinator]] = relationship(
        back_populates="network", cascade="all, delete-orphan"
    )
    contact_points: Mapped[list[ContactPoint]] = relationship(
        back_populates="network", cascade="all, delete-orphan"
    )

    def coordinator_ids(self) -> set[int]:
        return {row.user_id for row in self.coordinators}


class NetworkCoordinator(db.Model):
    """An account an admin named to designate the network's contact points."""

    __tablename__ = "network_coordinators"

    network_id: Mapped[int] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    network: Mapped[Network] = relationship(back_populates="coordinators")
    user: Mapped[User] = relationship()


class ContactPoint(db.Model):
    """A member designated as a network's national contact point of a country for an agency type."""

    __tablename__ = "contact_points"
    __table_args__ = (UniqueConstraint("network_id", "country", "agency_type", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    agency_type: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    designated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    designated_at: Mapped[datetime] = mapped_column(default=utcnow)

    network: Mapped[Network] = relationship(back_populates="contact_points")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
