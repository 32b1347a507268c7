"""Browser sessions and API tokens: random keys handed out once, stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app, has_request_context, request
from sqlalchemy import bindparam, select, update

from emisa.accounts.models import ApiToken, AuthSession, User
from emisa.audit.log import client_address
from emisa.extensions import db
from emisa.signals import access_revoked, rights_narrowed
from emisa.timeutil import utcnow

# Every authenticated request runs one of these: built once (with their SQL cache key),
# which takes about a third off the loader's cost.
_SESSION_BY_HASH = (
    select(AuthSession, User)
    .join(User, User.id == AuthSession.user_id)
    .where(AuthSession.key_hash == bindparam("key_hash"))
)
_TOKEN_BY_HASH = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("key_hash"))
)


def digest(secret: str) -> str:
    """Keys carry 256 bits of entropy, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(user: User, stage: str) -> AuthSession:
    session = AuthSession(
        user=user,
        stage=stage,
        expires_at=utcnow() + current_app.config["EMISA_SESSION_TTL"],
        ip_address=client_address(),
        user_agent=(request.user_agent.string[:300] if has_request_context() else ""),
    )
    _give_new_key(session)
    db.session.add(session)
    user.auth_session = session
    return session


def _give_new_key(session: AuthSession) -> None:
    session.key = secrets.token_urlsafe(32)
    session.key_hash = digest(session.key)


def advance_session(session: AuthSession, stage: str) -> None:
    """Move to the next sign-in stage under a fresh key, so an earlier cookie is worth nothing."""
    session.stage = stage
    _give_new_key(session)


def _live(expires_at: datetime, revoked_at: datetime | None) -> bool:
    return revoked_at is None and expires_at > utcnow()


def user_for_session_key(key: str) -> User | None:
    found = db.session.execute(_SESSION_BY_HASH, {"key_hash": digest(key)}).first()
    if found is None or not _live(found[0].expires_at, found[0].revoked_at):
        return None
    session, user = found
    session.key = key
    user.auth_session = session
    return user


def issue_token(user: User, name: str = "API token") -> tuple[ApiToken, str]:
    plain = "emisa_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:100] or "API token",
        token_hash=digest(plain),
        expires_at=utcnow() + current_app.config["EMISA_TOKEN_TTL"],
        ip_address=client_address(),
        user_agent=(request.user_agent.string[:300] if has_request_context() else ""),
    )
    db.session.add(token)
    return token, plain


def user_for_token(plain: str) -> User | None:
    found = db.session.execute(_TOKEN_BY_HASH, {"key_hash": digest(plain)}).first()
    if found is None or not _live(found[0].expires_at, found[0].revoked_at):
        return None
    token, user = found
    user.api_token = token
    return user


def revoke(credential: AuthSession | ApiToken) -> None:
    """End one browser session or API token; a live connection opened with it closes too."""
    credential.revoked_at = utcnow()
    rights_narrowed.send(current_app._get_current_object(), user_id=credential.user_id)


def revoke_sessions(user: User, *, keep: AuthSession | None = None) -> None:
    statement = update(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep.id)
    db.session.execute(
        statement.values(revoked_at=utcnow()).execution_options(synchronize_session="fetch")
    )


def revoke_tokens(user: User) -> None:
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


def end_all_access(user: User, *, keep: AuthSession | None = None) -> None:
    """Sign the account out everywhere (but ``keep``) and revoke every API token."""
    revoke_sessions(user, keep=keep)
    revoke_tokens(user)
    access_revoked.send(current_app._get_current_object(), user_id=user.id)


def live_sessions(user: User) -> list[AuthSession]:
    return list(
        db.session.scalars(
            select(AuthSession)
            .where(
                AuthSession.user_id == user.id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > utcnow(),
                AuthSession.stage == "full",
            )
            .order_by(AuthSession.created_at.desc())
        )
    )


def live_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > utcnow(),
            )
            .order_by(ApiToken.created_at.desc())
        )
    )
