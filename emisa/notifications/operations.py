"""Creating, grouping, reading and mailing notifications.

A notice is a kind and parameters (see ``kinds``), never text: no title or body of group
content is stored here, whatever its marking. Like notices about one item group while
unread ("12 new replies in ..."). Email goes out after the commit, immediately or in the
daily digest as each person chose per kind; a send that fails leaves the notice unmailed
for the next ``send-digests`` run, and never fails the request that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from emisa.access import could
from emisa.extensions import db
from emisa.i18n import DEFAULT_LANGUAGE, LANGUAGES
from emisa.mail import mail_configured, outbox
from emisa.notifications.kinds import DIGEST, IMMEDIATELY, KINDS, MODES, render
from emisa.notifications.models import EmailChoice, GroupFollow, Notification, NotificationSetting
from emisa.timeutil import utcnow

log = logging.getLogger(__name__)

# Kinds a user can switch off in the platform, and the setting that governs each.
SETTING_OF_KIND = {"mention": "mentions", "reply": "replies", "new_thread": "new_threads"}
PAGE_SIZE = 30
RECENT = 8  # the bell's dropdown
DIGEST_LIMIT = 200
_PENDING_MAIL = "emisa_mail_pending"
_COMMITTED_MAIL = "emisa_mail_committed"
# The bell in every page's menu runs this: built once instead of per request.
_UNREAD_COUNT = sa.select(sa.func.count(Notification.id)).where(
    Notification.user_id == sa.bindparam("user_id"), Notification.read_at.is_(None)
)
_RECENT = (
    sa.select(Notification)
    .where(Notification.user_id == sa.bindparam("user_id"))
    .order_by(Notification.updated_at.desc(), Notification.id.desc())
    .limit(RECENT)
)


# Settings


def settings_of(user_id: int) -> NotificationSetting:
    row = db.session.get(NotificationSetting, user_id)
    if row is None:
        row = NotificationSetting(user_id=user_id, mentions=True, replies=True, new_threads=True)
    return row


def email_modes(user_id: int) -> dict[str, str]:
    """Each kind's email mode for ``user_id``: their choice, else the kind's default."""
    modes = {kind: spec.email_default for kind, spec in KINDS.items()}
    for choice in db.session.scalars(sa.select(EmailChoice).where(EmailChoice.user_id == user_id)):
        if choice.kind in modes and choice.mode in MODES:
            modes[choice.kind] = choice.mode
    return modes


def set_email_modes(user_id: int, modes: dict[str, str]) -> None:
    """Store the choices that differ from the defaults (a default is no row)."""
    db.session.execute(sa.delete(EmailChoice).where(EmailChoice.user_id == user_id))
    for kind, mode in modes.items():
        if kind in KINDS and mode in MODES and mode != KINDS[kind].email_default:
            db.session.add(EmailChoice(user_id=user_id, kind=kind, mode=mode))
    db.session.flush()


def _modes_of(user_ids: list[int], kind: str) -> dict[int, str]:
    default = KINDS.get(kind, KINDS["notice"]).email_default
    modes = dict.fromkeys(user_ids, default)
    rows = db.session.execute(
        sa.select(EmailChoice.user_id, EmailChoice.mode).where(
            EmailChoice.user_id.in_(user_ids), EmailChoice.kind == kind
        )
    )
    for user_id, mode in rows:
        modes[user_id] = mode
    return modes


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


# Creating


def notify_users(
    user_ids: Iterable[int], kind: str, params: dict, link: str = "", subject: str = ""
) -> int:
    """Queue a notice for each user who has not switched this kind off; flushed, not committed.

    An unread notice with the same ``subject`` (e.g. "thread:12") groups the new one: its
    count goes up, its parameters become the newest, and it is due for email again.
    Callers choose the recipients through the access policy: nobody hears of what they
    may not read.
    """
    wanted = _wanted(user_ids, kind)
    if not wanted:
        return 0
    kind = kind if kind in KINDS else "notice"
    link = link[:300] if link.startswith("/") and not link.startswith("//") else ""
    key = f"{kind}:{subject}"[:80] if subject else ""
    now = utcnow()
    grouped: dict[int, int] = {}
    if key:
        grouped = dict(
            db.session.execute(
                sa.select(Notification.user_id, Notification.id).where(
                    Notification.user_id.in_(wanted),
                    Notification.subject == key,
                    Notification.read_at.is_(None),
                )
            ).all()
        )
    if grouped:
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id.in_(grouped.values()))
            .values(
                count=Notification.count + 1,
                params=params,
                link=link,
                updated_at=now,
                emailed_at=None,
            )
            .execution_options(synchronize_session=False)
        )
    fresh = [uid for uid in wanted if uid not in grouped]
    ids = list(grouped.values())
    if fresh:
        ids += db.session.scalars(
            sa.insert(Notification).returning(Notification.id),
            [
                {
                    "user_id": uid,
                    "kind": kind,
                    "params": params,
                    "subject": key,
                    "count": 1,
                    "link": link,
                    "created_at": now,
                    "updated_at": now,
                }
                for uid in fresh
            ],
        ).all()
    modes = _modes_of(wanted, kind)
    if any(mode == IMMEDIATELY for mode in modes.values()):
        db.session.info.setdefault(_PENDING_MAIL, set()).update(ids)
    return len(wanted)


def on_notify(
    _sender, user_ids=(), kind="notice", params=None, link="", subject="", text="", **_extra
) -> None:
    """Receiver of ``emisa.signals.notify``: other features' notices land in the same inbox."""
    notify_users(user_ids, kind, params if params is not None else {"text": text}, link, subject)


# Reading


def text_of(notification: Notification, reader=None) -> str:
    """The notice's sentence for ``reader`` (their zone and digits) in the current locale."""
    return render(notification.kind, notification.params, notification.count, reader)


def unread_count(user_id: int) -> int:
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user_id})


def recent(user_id: int) -> list[Notification]:
    """The newest few, for the bell's dropdown."""
    return list(db.session.scalars(_RECENT, {"user_id": user_id}))


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


# Followed groups


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


# Email


@sa.event.listens_for(Session, "after_commit")
def _mail_committed(session: Session) -> None:
    pending = session.info.pop(_PENDING_MAIL, None)
    if pending:
        session.info.setdefault(_COMMITTED_MAIL, set()).update(pending)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_mail(session: Session, _previous_transaction: object) -> None:
    session.info.pop(_PENDING_MAIL, None)


# What a notice's ``item`` ("<kind>:<id>") points at: kind -> (model, action its reader needs).
_ITEMS: dict[str, tuple[type, str]] = {}


def register_item(kind: str, model: type, action: str) -> None:
    """Let notices about ``<kind>:<id>`` find their item, which the reader must still be
    allowed ``action`` on when the mail goes out. Each feature registers its own kinds."""
    _ITEMS[kind] = (model, action)


def _item(notification: Notification):
    """The item a notice is about, and the action its reader must still be allowed."""
    kind, _sep, rest = notification.item.partition(":")
    item_id = rest.partition(":")[0]
    if kind not in _ITEMS or not item_id.isdigit():
        return None, None
    model, action = _ITEMS[kind]
    # About a group: still deciding its requests, still a member of it.
    action = {"join_request": "decide_join_requests", "member_added": "read_content"}.get(
        notification.kind, action
    )
    return db.session.get(model, int(item_id)), action


def _still_allowed(user, notification: Notification) -> bool:
    """Mail goes out later than the notice was made: ask the policy again (a member removed
    in between hears nothing more); a decision on one's own join request is always theirs."""
    if notification.kind in ("join_decision", "notice"):
        return bool(user.is_usable)
    item, action = _item(notification)
    return item is not None and bool(could(user, action, item))


def _language(user) -> str:
    return user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE


def _base_url() -> str:
    return (current_app.config.get("EMISA_BASE_URL") or "").rstrip("/")


def _mail(box, user, rows: list[Notification], digest: bool) -> bool:
    """One mail for ``rows``, in the recipient's language; marks them mailed if it went out."""
    base = _base_url()
    language = _language(user)
    with force_locale(language):
        bullet, indent = ("- ", "  ") if digest else ("", "")
        lines = []
        for row in rows:
            lines.append(bullet + text_of(row, user))
            if row.link:
                lines.append(f"{indent}{base}{row.link}")
        if digest:
            subject = _("EMISA: your daily notifications")
            intro = _("Your unread notifications on EMISA:")
        else:
            subject = _("EMISA: %(text)s", text=text_of(rows[0], user))[:200]
            intro = ""
        footer = _("Choose what you receive by email under Notifications, Settings.")
        body = "\n".join([*([intro, ""] if intro else []), *lines, "", footer])
    if not box.send(user.email, subject, body, language=language):
        return False
    now = utcnow()
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_([row.id for row in rows]))
        .values(emailed_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


def deliver_immediate(ids: Iterable[int]) -> int:
    """Mail each of these notices whose reader wants this kind immediately; returns mails sent."""
    from emisa.accounts.models import User

    if not mail_configured():
        return 0
    rows = db.session.scalars(
        sa.select(Notification)
        .where(
            Notification.id.in_(sorted(ids)),
            Notification.read_at.is_(None),
            Notification.emailed_at.is_(None),
        )
        .order_by(Notification.id)
    )
    sent = 0
    with outbox() as box:
        for row in list(rows):
            user = db.session.get(User, row.user_id)
            if user is None or email_modes(user.id).get(row.kind) != IMMEDIATELY:
                continue
            if _still_allowed(user, row) and _mail(box, user, [row], digest=False):
                sent += 1
    return sent


def deliver_after_commit() -> None:
    """Mail the immediate notices the last commit made (after a request, as a unit of work
    of its own: marking them mailed; never raises)."""
    from emisa.database import unit_of_work

    ids = db.session.info.pop(_COMMITTED_MAIL, None)
    if not ids:
        return
    try:
        with unit_of_work():
            deliver_immediate(ids)
    except Exception:
        # The notices are stored; the next send-digests run mails what is left.
        log.exception("immediate notification mail failed")


def send_digests() -> int:
    """Mail each user their unread notices not mailed yet whose kind they want by email (in a
    digest, or immediately when that send failed); returns mails sent. Flushed, not committed."""
    from emisa.accounts.models import User

    if not mail_configured():
        return 0
    user_ids = db.session.scalars(
        sa.select(Notification.user_id)
        .where(Notification.read_at.is_(None), Notification.emailed_at.is_(None))
        .distinct()
    )
    sent = 0
    with outbox() as box:
        for user_id in sorted(user_ids):
            user = db.session.get(User, user_id)
            if user is None or not user.is_usable:
                continue
            modes = email_modes(user_id)
            wanted = [kind for kind, mode in modes.items() if mode in (DIGEST, IMMEDIATELY)]
            pending = [
                row
                for row in db.session.scalars(
                    sa.select(Notification)
                    .where(
                        Notification.user_id == user_id,
                        Notification.read_at.is_(None),
                        Notification.emailed_at.is_(None),
                        Notification.kind.in_(wanted),
                    )
                    .order_by(Notification.id)
                    .limit(DIGEST_LIMIT)
                )
                if _still_allowed(user, row)
            ]
            if pending and _mail(box, user, pending, digest=True):
                sent += 1
    db.session.flush()
    return sent
