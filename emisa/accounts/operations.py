"""Account operations: creation, invitations, two-factor enrolment, state changes.

Callable from the CLI, the web views and the API alike. They flush and audit;
the caller commits at its boundary (``emisa.database.commit``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from emisa import audit
from emisa.access.countries import normalise_country
from emisa.access.roles import AccountKind, AccountState, PlatformRole, parse_enum
from emisa.accounts import totp
from emisa.accounts.models import Invitation, User
from emisa.accounts.passwords import check_strength, hash_password
from emisa.accounts.sessions import digest, end_all_access
from emisa.extensions import db
from emisa.i18n import term
from emisa.operations import OperationError
from emisa.signals import rights_narrowed
from emisa.timeutil import utcnow

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class DuplicateAccount(OperationError):
    """The email is taken: a conflict (409), not bad input."""

    def __init__(self, message: str):
        super().__init__(message, 409)


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise OperationError(_("'%(email)s' is not a valid email address.", email=email))
    return value


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


@dataclass
class AccountDetails:
    email: str
    name: str
    country: str
    organisation: str
    kind: str = AccountKind.LAW_ENFORCEMENT
    role: str = PlatformRole.USER
    expires_at: datetime | None = None


def _new_user(details: AccountDetails, state: str) -> User:
    email = normalise_email(details.email)
    name, organisation = details.name.strip(), details.organisation.strip()
    if not name or not organisation:
        raise OperationError(_("Name and organisation are required."))
    try:
        country = normalise_country(details.country)
        kind = parse_enum(AccountKind, details.kind)
        role = parse_enum(PlatformRole, details.role)
    except ValueError as error:
        raise OperationError(str(error)) from None
    if find_user(email) is not None:
        raise DuplicateAccount(
            _("An account with the email %(email)s already exists.", email=email)
        )
    user = User(
        email=email,
        name=name[:120],
        organisation=organisation[:200],
        country=country,
        kind=kind,
        role=role,
        state=state,
        expires_at=details.expires_at,
    )
    db.session.add(user)
    return user


def set_password(user: User, password: str) -> None:
    try:
        check_strength(password, email=user.email, name=user.name)
    except ValueError as error:
        raise OperationError(str(error)) from None
    user.password_hash = hash_password(password)


def create_active_user(details: AccountDetails, password: str) -> tuple[User, str]:
    """An active account with TOTP enrolled (the CLI's create-user); returns the otpauth URI."""
    user = _new_user(details, AccountState.ACTIVE)
    set_password(user, password)
    secret = totp.new_secret()
    user.totp_secret = totp.seal_secret(secret)
    user.totp_enrolled_at = utcnow()
    db.session.flush()
    audit.record("account.created", target=user, details={"via": "cli", "role": user.role})
    return user, totp.provisioning_uri(user, secret)


def invite(details: AccountDetails, invited_by: User | None) -> tuple[User, str]:
    """Create an invited account and a single-use, expiring invitation; returns the plain token."""
    user = _new_user(details, AccountState.INVITED)
    token = reissue_invitation(user, invited_by)
    audit.record("account.invited", target=user, details={"role": user.role, "kind": user.kind})
    return user, token


def reissue_invitation(user: User, invited_by: User | None) -> str:
    if user.state != AccountState.INVITED or user.is_claimed:
        raise OperationError(
            _("Only an account whose owner never set a password gets an invitation link.")
        )
    token = secrets.token_urlsafe(32)
    for previous in db.session.scalars(
        select(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
    ):
        previous.used_at = utcnow()
    db.session.add(
        Invitation(
            user=user,
            token_hash=digest(token),
            created_by_id=invited_by.id if invited_by else None,
            expires_at=utcnow() + current_app.config["EMISA_INVITATION_TTL"],
        )
    )
    db.session.flush()
    return token


def open_invitation(token: str) -> Invitation | None:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
        return None
    if invitation.user.state != AccountState.INVITED or invitation.user.is_claimed:
        return None
    return invitation


def accept_invitation(invitation: Invitation, password: str) -> User:
    """Spend the invitation and set the password; TOTP enrolment must follow.

    Spending is a conditional UPDATE, so two simultaneous submits of one link cannot both win.
    """
    user = invitation.user
    set_password(user, password)
    spent = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise OperationError(_("This invitation was already used."))
    audit.record("account.invitation_accepted", actor=user, target=user)
    return user


def begin_enrolment(user: User) -> str:
    """A new pending TOTP secret, kept sealed until a code proves the user holds it."""
    secret = totp.new_secret()
    user.totp_pending_secret = totp.seal_secret(secret)
    return secret


def pending_secret(user: User) -> str | None:
    return totp.open_secret(user.totp_pending_secret) if user.totp_pending_secret else None


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Switch to the pending secret if ``code`` matches it; returns the new recovery codes.

    Every other session and API token of the account ends: a new second factor is
    often enrolled because the old device was lost or copied, and whoever holds it
    must not stay signed in.
    """
    secret = pending_secret(user)
    if secret is None:
        return None
    # The new secret may confirm with the step just spent on re-authentication; a failure must
    # put the guard back, or the caller's commit would make spent codes of the old secret valid.
    previous_step, user.totp_last_step = user.totp_last_step, 0
    if not totp.check_code_once(user, code, secret=secret):
        user.totp_last_step = previous_step
        audit.record_event("auth.totp_enrolment_failed", actor=user, outcome="failed", target=user)
        return None
    user.totp_secret = user.totp_pending_secret
    user.totp_pending_secret = None
    user.totp_enrolled_at = utcnow()
    if user.state == AccountState.INVITED:
        user.state = AccountState.ACTIVE
    codes = totp.new_recovery_codes(user)
    end_all_access(user, keep=user.auth_session)
    audit.record("auth.totp_enrolled", actor=user, target=user)
    return codes


def change_password(user: User, new_password: str) -> None:
    set_password(user, new_password)
    end_all_access(user, keep=user.auth_session)
    audit.record("account.password_changed", actor=user, target=user)


def suspend(user: User, by: User) -> None:
    if user.id == by.id:
        raise OperationError(_("You cannot suspend your own account."))
    user.state = AccountState.SUSPENDED
    end_all_access(user)
    audit.record("account.suspended", actor=by, target=user)


def reactivate(user: User, by: User) -> None:
    if user.state not in (AccountState.SUSPENDED, AccountState.EXPIRED) and user.is_usable:
        raise OperationError(_("The account is already active."))
    # A claimed account comes back active: with its second factor reset, its owner enrols
    # again with their own password. Only one never claimed is invited again.
    user.state = AccountState.ACTIVE if user.is_claimed else AccountState.INVITED
    if user.expires_at and user.expires_at <= utcnow():
        user.expires_at = None
    audit.record("account.reactivated", actor=by, target=user)


def set_expiry(user: User, expires_at: datetime | None, by: User) -> None:
    user.expires_at = expires_at
    if expires_at is not None and expires_at <= utcnow():
        end_all_access(user)
    audit.record("account.expiry_set", actor=by, target=user, details={"expires_at": expires_at})


def reset_two_factor(user: User, by: User) -> None:
    """Drop the second factor: the owner enrols again at their next sign-in, with their own
    password, which is kept: the administrator who resets never learns or sets it."""
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_enrolled_at = None
    user.recovery_codes.clear()
    end_all_access(user)
    audit.record("account.totp_reset", actor=by, target=user)


def count_admins() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "admin"))


def change_role(user: User, role: str, by: User) -> None:
    """Make or unmake a platform admin; the caller has re-authenticated ``by``.

    Nobody changes their own role: another administrator must, so the platform always
    keeps the one who acts and no admin can quietly step down after acting.
    """
    try:
        role = parse_enum(PlatformRole, role)
    except ValueError as error:
        raise OperationError(str(error)) from None
    if user.id == by.id:
        raise OperationError(_("Another administrator must change your own platform role."))
    if role == user.role:
        raise OperationError(
            _("%(name)s already has the role %(role)s.", name=user.name, role=term(role))
        )
    previous, user.role = user.role, role
    audit.record(
        "account.role_changed", actor=by, target=user, details={"from": previous, "to": role}
    )
    rights_narrowed.send(current_app._get_current_object(), user_id=user.id)


def correct_details(user: User, *, name: str, organisation: str, country: str, by: User) -> None:
    """Correct an account's name, organisation or country (an administrator's duty).

    The policy reads the country on every request, so the change applies from the next one;
    ``rights_narrowed`` lets live connections be judged again at once.
    """
    name, organisation = (name or "").strip(), (organisation or "").strip()
    if not name or not organisation:
        raise OperationError(_("Name and organisation are required."))
    try:
        country = normalise_country(country)
    except ValueError as error:
        raise OperationError(str(error)) from None
    changes = {
        field: {"from": getattr(user, field), "to": value}
        for field, value in (
            ("name", name[:120]),
            ("organisation", organisation[:200]),
            ("country", country),
        )
        if getattr(user, field) != value
    }
    if not changes:
        return
    for field, change in changes.items():
        setattr(user, field, change["to"])
    audit.record("account.details_corrected", actor=by, target=user, details=changes)
    rights_narrowed.send(current_app._get_current_object(), user_id=user.id)
