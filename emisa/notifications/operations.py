"""Creating, reading and mailing notifications.

Texts are written by the features that notify, and must never carry content
marked above TLP:GREEN; the discussions feature goes further and never puts a
title or a body in a notice at all (only who did what in which group), so no
group content is stored in clear here whatever its marking.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app

from emisa.extensions import db
from emisa.notifications.models import GroupFollow, Notification, NotificationSetting
from emisa.timeutil import utcnow

# Kinds a user can switch off, and the setting that governs each.
SETTING_OF_KIND = {"mention": "mentions", "reply": "replies", "new_thread": "new_threads"}
MAX_TEXT = 300
PAGE_SIZE = 30
# The bell in every page's menu runs this: built once instead of per request.
_UNREAD_COUNT = sa.select(sa.func.count(Notification.id)).where(
    Notification.user_id == sa.bindparam("user_id"), Notification.read_at.is_(None)
)


def settings_of(user_id: int) -> NotificationSetting:
    row = db.session.get(NotificationSetting, user_id)
    if row is None:
        row = NotificationSetting(
            user_id=user_id, mentions=True, replies=True, new_threads=True, daily_digest=False
        )
    return row


def _wanted(user_ids: Iterable[int], kind: str) -> list[int]:
    ids = sorted(set(user_ids))
    column = SETTING_OF_KIND.get(kind)
    if column is None or not ids:
        return ids
    off = set(
        db.session.scalars(
            sa.select(NotificationSetting.user_id).where(
                NotificationSetting.user_id.in_(ids),
                getattr(NotificationSetting, column).is_(False),
            )
        )
    )
    return [user_id for user_id in ids if user_id not in off]


def notify_users(user_ids: Iterable[int], kind: str, text: str, link: str = "") -> int:
    """Queue a notice for each user who has not switched this kind off; flushed, not committed."""
    wanted = _wanted(user_ids, kind)
    if not wanted:
        return 0
    text = " ".join((text or "").split())[:MAX_TEXT]
    link = link if link.startswith("/") and not link.startswith("//") else ""
    now = utcnow()
    db.session.execute(
        sa.insert(Notification),
        [
            {"user_id": uid, "kind": kind[:30], "text": text, "link": link[:300], "created_at": now}
            for uid in wanted
        ],
    )
    return len(wanted)


def on_notify(_sender, user_ids=(), kind="notice", text="", link="", **_extra) -> None:
    """Receiver of ``emisa.signals.notify``: other features' notices land in the same inbox."""
    notify_users(user_ids, kind, text, link)


def unread_count(user_id: int) -> int:
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user_id})


def page_of(user_id: int, page: int) -> tuple[list[Notification], bool]:
    rows = list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def mark_read(user_id: int, notification_id: int | None = None) -> None:
    query = sa.update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))


def follows(user_id: int, group_id: int) -> bool:
    return db.session.get(GroupFollow, (user_id, group_id)) is not None


def set_follow(user_id: int, group_id: int, follow: bool) -> None:
    row = db.session.get(GroupFollow, (user_id, group_id))
    if follow and row is None:
        db.session.add(GroupFollow(user_id=user_id, group_id=group_id))
    elif not follow and row is not None:
        db.session.delete(row)
    db.session.flush()


def followers_of(group_id: int) -> list[int]:
    return list(
        db.session.scalars(sa.select(GroupFollow.user_id).where(GroupFollow.group_id == group_id))
    )


def forget_follow(_sender, group_id: int, user_id: int, **_extra) -> None:
    """Receiver of ``membership_ended``: someone who left no longer follows the group."""
    db.session.execute(
        sa.delete(GroupFollow).where(
            GroupFollow.group_id == group_id, GroupFollow.user_id == user_id
        )
    )


def send_digests() -> int:
    """Mail each user who asked for it their unread notices not mailed yet; returns mails sent.

    The mail holds the notices' texts (never content, see above) and links; the
    notices are marked as mailed only when the mail went out.
    """
    from emisa.accounts.models import User
    from emisa.mail import mail_configured, send_mail

    if not mail_configured():
        return 0
    base = (current_app.config.get("EMISA_BASE_URL") or "").rstrip("/")
    subscribers = db.session.scalars(
        sa.select(NotificationSetting.user_id).where(NotificationSetting.daily_digest.is_(True))
    )
    sent = 0
    for user_id in list(subscribers):
        user = db.session.get(User, user_id)
        if user is None or not user.is_usable:
            continue
        pending = list(
            db.session.scalars(
                sa.select(Notification)
                .where(
                    Notification.user_id == user_id,
                    Notification.read_at.is_(None),
                    Notification.emailed_at.is_(None),
                )
                .order_by(Notification.id)
                .limit(200)
            )
        )
        if not pending:
            continue
        lines = [f"You have {len(pending)} new notification(s) on EMISA:", ""]
        for item in pending:
            lines.append(f"- {item.text}")
            if item.link:
                lines.append(f"  {base}{item.link}")
        lines += ["", "Change what you receive under Notifications > Settings."]
        if send_mail(user.email, "EMISA: your daily notifications", "\n".join(lines)):
            now = utcnow()
            for item in pending:
                item.emailed_at = now
            sent += 1
    db.session.flush()
    return sent
