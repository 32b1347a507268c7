"""Personal calendar feeds: one secret URL per account, stored hashed, revocable."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from emisa import audit
from emisa.accounts.models import User
from emisa.accounts.sessions import digest
from emisa.extensions import db
from emisa.meetings.models import CalendarFeed
from emisa.timeutil import utcnow


def active_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None)
        )
    )


def revoke_feed(user: User) -> bool:
    result = db.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount:
        audit.record("meeting.feed_revoked", actor=user, target=user)
    return bool(result.rowcount)


def issue_feed(user: User) -> str:
    """A new feed token (the old one stops working); the plain token is shown once."""
    revoke_feed(user)
    plain = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=digest(plain)))
    db.session.flush()
    audit.record("meeting.feed_issued", actor=user, target=user)
    return plain


def user_for_feed(plain: str) -> User | None:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == digest(plain)))
    if feed is None or feed.revoked_at is not None:
        return None
    user = feed.user
    if not user.is_usable:
        return None
    feed.last_used_at = utcnow()
    return user
