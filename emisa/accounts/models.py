"""Accounts, their second factor, browser sessions, API tokens and invitations."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emisa.access.countries import country_name
from emisa.access.roles import AccountKind, AccountState, PlatformRole
from emisa.extensions import db
from emisa.timeutil import utcnow


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __policy_type__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    kind: Mapped[str] = mapped_column(String(20), default=AccountKind.LAW_ENFORCEMENT)
    role: Mapped[str] = mapped_column(String(10), default=PlatformRole.USER)
    state: Mapped[str] = mapped_column(String(10), default=AccountState.INVITED)
    expires_at: Mapped[datetime | None]  # the account stops working at this UTC instant
    password_hash: Mapped[str | None] = mapped_column(String(200))  # Argon2id
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed by the master key
    # A secret shown at (re-)enrolment; it replaces totp_secret once a code confirms it.
    totp_pending_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enrolled_at: Mapped[datetime | None]
    # Highest TOTP time step ever accepted: a code at or below it is a replay.
    totp_last_step: Mapped[int] = mapped_column(default=0)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Interface language (emisa.i18n.LANGUAGES); None until chosen: the browser's applies.
    language: Mapped[str | None] = mapped_column(String(8))
    # Digits numbers and dates are read in (emisa.i18n.DIGITS): "latn" unless "arab" chosen.
    digits: Mapped[str] = mapped_column(String(4), default="latn", server_default="latn")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Set by the loader for the request: the browser session or API token in use.
    auth_session = None  # AuthSession | None
    api_token = None  # ApiToken | None

    def get_id(self) -> str:
        """Flask-Login keeps the session key, not the user id: revoking the row signs out."""
        return self.auth_session.key if self.auth_session is not None else ""

    # UserMixin compares accounts by ``get_id()``, which is the same ("") for every account
    # loaded outside a signed-in request: two different people would be equal. The session's
    # identity map keeps one object per row, so identity is the right equality.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    @property
    def is_admin(self) -> bool:
        return self.role == PlatformRole.ADMIN

    @property
    def is_claimed(self) -> bool:
        """The person has set their own password: from then on only they choose credentials.

        Such an account never gets an invitation again (an invitation sets a new password),
        and an administrator's second-factor reset leaves the password for the person to
        re-enrol with. So no administrator can ever sign in as someone who was once active.
        """
        return self.password_hash is not None

    @property
    def is_partner(self) -> bool:
        return self.kind == AccountKind.PARTNER

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @property
    def effective_state(self) -> str:
        """The stored state, with a passed expiry date counting as expired."""
        if self.state == AccountState.ACTIVE and self.expires_at and self.expires_at <= utcnow():
            return AccountState.EXPIRED
        return self.state

    @property
    def is_usable(self) -> bool:
        return self.effective_state == AccountState.ACTIVE

    @property
    def is_fully_authenticated(self) -> bool:
        """Two-factor passed in this browser session, or signed in with an API token."""
        if self.api_token is not None:
            return True
        return self.auth_session is not None and self.auth_session.stage == "full"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 of the code
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class AuthSession(db.Model):
    """A browser session; the cookie holds a random key whose hash is stored here."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "password": password checked, code pending; "enrol": must enrol TOTP; "full": signed in.
    stage: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    # The plain key exists only in the cookie and in memory for the current request.
    key = ""


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="API token")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where it was issued, for the account page (as for browser sessions).
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
