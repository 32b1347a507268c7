"""What each kind of notice says, rendered in the reader's language from its parameters.

A notice stores its kind and parameters only (names of people and groups, a TLP label, a
time): never a title, a body or a reason, whatever the item's label, so neither the inbox
nor any email carries content above TLP:GREEN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from emisa.i18n import DEFAULT_LANGUAGE, FORMAT_LOCALES, in_digits

IMMEDIATELY, DIGEST, NEVER = "immediately", "digest", "never"
MODES = (IMMEDIATELY, DIGEST, NEVER)
MODE_LABELS = {IMMEDIATELY: _l("Immediately"), DIGEST: _l("In a daily digest"), NEVER: _l("Never")}


@dataclass(frozen=True)
class Kind:
    label: object  # lazy string: the settings page's name for it
    email_default: str


KINDS: dict[str, Kind] = {
    "mention": Kind(_l("Someone mentions me"), IMMEDIATELY),
    "reply": Kind(_l("Replies to my posts and threads"), DIGEST),
    "new_thread": Kind(_l("New discussions in groups I follow"), DIGEST),
    "meeting": Kind(_l("Meetings I am invited to, and their changes"), IMMEDIATELY),
    "join_request": Kind(_l("Requests to join a group I coordinate"), DIGEST),
    "join_decision": Kind(_l("Decisions on my requests to join a group"), IMMEDIATELY),
    "member_added": Kind(_l("I am added to a group"), DIGEST),
    "red_share": Kind(_l("A TLP:RED document is shared with me by name"), IMMEDIATELY),
    "notice": Kind(_l("Other notices"), DIGEST),
}


def _when(value: str | None, reader) -> str:
    """A stored ISO time, in the reader's zone, locale and digits (the reader is not always
    the signed-in account: a digest is written for its recipient)."""
    if not value:
        return ""
    try:
        zone = ZoneInfo(getattr(reader, "time_zone", None) or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    language = str(get_locale() or DEFAULT_LANGUAGE)
    locale = Locale.parse(FORMAT_LOCALES.get(language, language))
    text = format_datetime(moment, "medium", tzinfo=zone, locale=locale)
    return in_digits(text, getattr(reader, "digits", None) or "latn")


def render(kind: str, params: dict, count: int = 1, reader=None) -> str:
    """The sentence for a (group of) notice(s), in the current locale; times in the
    ``reader``'s zone and digits (UTC and Latin digits without one)."""
    p = {k: v for k, v in (params or {}).items() if isinstance(v, str | int)}
    p.setdefault("actor", "")
    p.setdefault("group", "")
    p.setdefault("tlp", "")
    num = max(1, count)
    if kind == "mention":
        return ngettext(
            "%(actor)s mentioned you in a %(tlp)s discussion in %(group)s.",
            "You were mentioned %(num)d times in a %(tlp)s discussion in %(group)s, most recently "
            "by %(actor)s.",
            num,
            **p,
        )
    if kind == "reply":
        return ngettext(
            "%(actor)s replied in a %(tlp)s discussion of yours in %(group)s.",
            "%(num)d new replies in a %(tlp)s discussion of yours in %(group)s, the latest from "
            "%(actor)s.",
            num,
            **p,
        )
    if kind == "new_thread":
        return ngettext(
            "%(actor)s started a new %(tlp)s discussion in %(group)s.",
            "%(num)d new %(tlp)s discussions in %(group)s, the latest started by %(actor)s.",
            num,
            **p,
        )
    if kind == "meeting":
        p["when"] = _when(p.get("starts_at"), reader)
        verb = p.get("verb")
        if verb == "invited":
            return _("You are invited to a %(tlp)s meeting of %(group)s on %(when)s.", **p)
        if verb == "cancelled":
            return _("A %(tlp)s meeting of %(group)s on %(when)s was cancelled.", **p)
        return ngettext(
            "A %(tlp)s meeting of %(group)s on %(when)s was changed.",
            "A %(tlp)s meeting of %(group)s on %(when)s was changed %(num)d times.",
            num,
            **p,
        )
    if kind == "join_request":
        return ngettext(
            "%(actor)s asked to join %(group)s.",
            "%(num)d people asked to join %(group)s, most recently %(actor)s.",
            num,
            **p,
        )
    if kind == "join_decision":
        if p.get("approved"):
            return _("Your request to join %(group)s was approved.", **p)
        return _("Your request to join %(group)s was declined.", **p)
    if kind == "member_added":
        return (
            _("%(actor)s added you to %(group)s.", **p)
            if p["actor"]
            else _("You were added to %(group)s.", **p)
        )
    if kind == "red_share":
        return ngettext(
            "%(actor)s shared a TLP:RED document with you in %(group)s.",
            "%(num)d TLP:RED documents were shared with you in %(group)s, most recently by "
            "%(actor)s.",
            num,
            **p,
        )
    # Notices from before notices had kinds, or from a feature without its own sentence.
    return str(p.get("text", ""))
