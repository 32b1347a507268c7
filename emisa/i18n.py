"""The reader's language, script direction and time zone, chosen once per request.

Flask-Babel renders every translated string, date and number; this module only decides
*which* locale and zone apply: the account's choice, else the browser's Accept-Language,
else English, and the account's time zone, else UTC.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_locale, get_timezone, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

# The interface's languages, in the order the language switch lists them.
LANGUAGES = ("en", "fr", "ar", "tr")
DEFAULT_LANGUAGE = "en"

# Browser locales whose own language the platform does not speak, mapped to the one their
# speakers most often work in (Lebanon and the Maghreb read French or Arabic; Berber and
# Kurdish speakers in the region read Arabic, French or Turkish).
FALLBACKS = {
    "ber": "ar",  # Berber (Maghreb)
    "kab": "fr",  # Kabyle (Algeria)
    "tzm": "ar",  # Central Atlas Tamazight (Morocco)
    "zgh": "ar",  # Standard Moroccan Tamazight
    "shi": "ar",  # Tachelhit (Morocco)
    "ku": "tr",  # Kurdish
    "ckb": "ar",  # Central Kurdish
}


def N_(message: str) -> str:
    """Marks a message for extraction only (``pybabel extract -k N_``); it is translated
    where it is shown, by its English text."""
    return message


# Digits an account may read numbers and dates in: Latin (0-9, the default in every
# language, as most Arabic-speaking administrations in the Maghreb write them) or Eastern
# Arabic digits, chosen on the account page.
DIGITS = ("latn", "arab")
_EASTERN_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# Stored values of closed vocabularies (roles, states, policies ...) as the interface names
# them. The database keeps the English value; only its display is translated.
TERMS = {
    "coordinator": _l("coordinator"),
    "member": _l("member"),
    "observer": _l("observer"),
    "admin": _l("administrator"),
    "user": _l("user"),
    "law-enforcement": _l("law enforcement"),
    "partner": _l("partner"),
    "invited": _l("invited"),
    "active": _l("active"),
    "suspended": _l("suspended"),
    "expired": _l("expired"),
    "request": _l("on request"),
    "invite-only": _l("invite only"),
    "pending": _l("pending"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "scheduled": _l("scheduled"),
    "open": _l("open"),
    "closed": _l("closed"),
    "cancelled": _l("cancelled"),
    "ok": _l("ok"),
    "denied": _l("denied"),
    "failed": _l("failed"),
    "thread": _l("thread"),
    "post": _l("post"),
    "document": _l("document"),
}

# The static scripts' messages (static/js). Pages give them translated in a JSON data
# block (the CSP forbids inline script code); scripts look each up by its English text.
SCRIPT_MESSAGES = (
    # app.js
    N_("Your browser is set to %(zone)s; save to use it."),
    # documents.js
    N_("encrypted and stored"),
    N_("view the document"),
    N_("failed (%(status)s)"),
    N_("the connection failed; nothing was stored"),
    N_("larger than the maximum of %(max)s"),
    N_("ready"),
    N_("sending…"),
    # discussions.js
    N_("to %(name)s"),
    # countries.js (country choices: search and presets)
    N_("Find a country"),
    N_("Add:"),
    N_("EU-27"),
    N_("MENA partners"),
    N_("Sahel"),
    N_("East Africa"),
    N_("Clear"),
    N_("None selected"),
    N_("%(num)s selected: %(names)s"),
    # meeting room
    N_("The server did not answer; check your connection."),
    N_("Connected"),
    N_("Cannot connect"),
    N_("Cannot reach the meeting server."),
    N_("Disconnected"),
    N_("The server ended your connection."),
    N_("Reconnecting…"),
    N_("The coordinator lowered your hand."),
    N_("The coordinator muted your microphone. Unmute when you speak."),
    N_("%(name)s asked you to mute; your microphone is off. Unmute when you speak."),
    N_("updated %(time)s"),
    N_("saved %(time)s"),
    N_("Observers follow the chat but do not write in it."),
    N_("Unlock"),
    N_("Lock"),
    N_("The coordinator ended the meeting."),
    N_("The meeting was cancelled."),
    N_("The meeting has ended"),
    N_("Not in the meeting"),
    N_("No camera available: you take part with your microphone."),
    N_("No camera or microphone available: you can still follow, chat, raise your hand and vote."),
    N_("Mute"),
    N_("Unmute"),
    N_("Camera off"),
    N_("Camera on"),
    N_("Stop sharing"),
    N_("Share screen"),
    N_("Hand raised"),
    N_("hand up"),
    N_("(you)"),
    N_("muted"),
    N_("chair"),
    N_("observer"),
    N_("Lower hand"),
    N_("Raise hand"),
    N_("Remove"),
    N_("Remove %(name)s from the meeting?"),
    N_(
        "People in this room: %(count)s. Without a media server each browser sends its video "
        "to every other one, which carries about %(limit)s people with video: ask participants "
        "to turn their cameras off, or have the platform's administrator configure the Janus "
        "media server (EMISA_JANUS_URL)."
    ),
    N_("Admit"),
    N_("Refuse"),
    N_("Votes: %(count)s"),
    N_("you voted; results when the poll closes"),
    N_("results when the poll closes"),
    N_("voting closed"),
    N_("Close and show results"),
    N_("End the meeting for everyone?"),
    N_("screen"),
    N_("Microphone off"),
    N_("poor connection"),
    N_("fair connection"),
    N_("Your connection: %(quality)s"),
    N_("poor"),
    N_("fair"),
    # the meeting's state, as the room's badge shows it (the same words as TERMS)
    N_("scheduled"),
    N_("open"),
    N_("closed"),
    N_("cancelled"),
)

babel = Babel()


def language_names() -> list[tuple[str, str]]:
    """Each interface language named in itself, for the language switch."""
    return [(code, Locale.parse(code).get_display_name(code).capitalize()) for code in LANGUAGES]


def browser_language() -> str:
    """The best interface language for the request's Accept-Language header."""
    for value, _quality in request.accept_languages:
        tag = value.replace("_", "-").lower()
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
        if primary in FALLBACKS:
            return FALLBACKS[primary]
    return DEFAULT_LANGUAGE


# The language someone chose with the switch before signing in (or without an account).
LANGUAGE_COOKIE = "emisa_language"


def select_locale() -> str:
    """The account's language, else the switch's cookie, else the browser's, else English.
    Outside a request (command line, background work), English."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    language = _account_setting("language")
    if language in LANGUAGES:
        return language
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return browser_language()


def select_timezone() -> str:
    return _account_setting("time_zone") or "UTC"


def _account_setting(name: str) -> str | None:
    """The signed-in account's setting, if the account can be loaded: the error page of a
    request whose sign-in could not be checked (the database is down) must not fail on
    loading it again, so it speaks the browser's language instead."""
    try:
        return getattr(current_user, name, None) if current_user else None
    except SQLAlchemyError:
        return None


def term_label(value: str):
    """The lazy label of a vocabulary value, for choices built at import time."""
    return TERMS.get(value, value)


def term(value) -> str:
    """A closed vocabulary's stored value, named in the reader's language."""
    return str(TERMS.get(str(value), value)) if value is not None else ""


def numbering_system() -> str:
    """``arab`` when the reader chose Eastern Arabic digits, else ``latn``."""
    digits = getattr(current_user, "digits", None) if current_user else None
    return digits if digits in DIGITS else "latn"


def in_digits(text: str, system: str) -> str:
    """``text`` with its Latin digits written in ``system`` (``latn`` or ``arab``)."""
    return text.translate(_EASTERN_ARABIC) if system == "arab" else text


def _digits(text: str) -> str:
    return in_digits(text, numbering_system())


# The locale dates and numbers are formatted in, per interface language: CLDR's bare "en"
# is American (12-hour clock, month first); European practitioners read en_GB.
FORMAT_LOCALES = {"en": "en_GB"}


def _locale() -> Locale:
    """The locale dates and numbers are written in: the interface language, in the reader's
    region when the browser names one for that language (ar-MA: Moroccan Arabic writes a
    24-hour clock; fr-CA ...), else the language's usual region."""
    language = str(get_locale() or DEFAULT_LANGUAGE)
    cached = getattr(g, "_emisa_format_locale", None) if has_request_context() else None
    if cached is not None and cached[0] == language:  # force_locale may switch mid-request
        return cached[1]
    chosen = Locale.parse(FORMAT_LOCALES.get(language, language))
    if has_request_context():
        for value, _quality in request.accept_languages:
            parts = value.replace("_", "-").split("-")
            if len(parts) >= 2 and parts[0].lower() == language and len(parts[-1]) == 2:
                with contextlib.suppress(ValueError, UnknownLocaleError):
                    chosen = Locale.parse(f"{language}_{parts[-1].upper()}")
                break
        g._emisa_format_locale = (language, chosen)
    return chosen


def format_number(value) -> str:
    """A number in the reader's locale and digits (grouping, decimal sign)."""
    if value is None:
        return ""
    return numbers.format_decimal(value, locale=_locale(), numbering_system=numbering_system())


def format_datetime(value: datetime | None, format: str = "medium", zone=None) -> str:
    """A stored naive-UTC instant in the reader's zone, locale and digits."""
    return "" if value is None else datetime_formatter(format, zone)(value)


def datetime_formatter(format: str = "medium", zone=None) -> Callable[[datetime | None], str]:
    """``format_datetime`` with the reader's locale, zone and digits looked up once: for a
    page that writes many instants (a list of search hits)."""
    locale, zone, system = _locale(), _zone(zone), numbering_system()

    def formatted(value: datetime | None) -> str:
        if value is None:
            return ""
        instant = _as_utc(value)
        if format not in ("short", "medium", "long", "full"):
            shown = dates.format_datetime(instant, format, tzinfo=zone, locale=locale)
            return in_digits(shown, system)
        # The date at the named length with the time to the minute: seconds are noise here.
        day = dates.format_date(instant.astimezone(zone).date(), format, locale=locale)
        return in_digits(
            locale.datetime_formats[format]
            .replace("'", "")
            .replace("{0}", dates.format_time(instant, "short", tzinfo=zone, locale=locale))
            .replace("{1}", day),
            system,
        )

    return formatted


def format_date(value: date | datetime | None, format: str = "medium") -> str:
    """A calendar date; a datetime is first moved into the reader's zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _as_utc(value).astimezone(get_timezone()).date()
    return _digits(dates.format_date(value, format, locale=_locale()))


def format_time(value: datetime | None, format: str = "short", zone=None) -> str:
    """The time of day of a stored UTC instant, in the reader's zone."""
    if value is None:
        return ""
    zone = _zone(zone)
    return _digits(dates.format_time(_as_utc(value), format, tzinfo=zone, locale=_locale()))


def format_skeleton(value: date | datetime | None, skeleton: str) -> str:
    """An instant in the reader's zone by a CLDR skeleton ("MMMEd", "yMMMM"), which each
    locale orders and punctuates its own way."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is None:
        value = _as_utc(value).astimezone(get_timezone())
    return _digits(dates.format_skeleton(skeleton, value, locale=_locale()))


def zone_name(zone: str | None = None) -> str:
    """A time zone as the reader's locale names it, e.g. "heure : Bruxelles"."""
    from zoneinfo import ZoneInfo

    zone = zone or str(get_timezone())
    return dates.get_timezone_location(ZoneInfo(zone), locale=_locale())


def weekday_names() -> list[str]:
    """Abbreviated weekday names, Monday first, for calendar headings."""
    names = dates.get_day_names("abbreviated", locale=_locale())
    return [names[i] for i in range(7)]


def _zone(zone):
    """The given zone (a name or tzinfo), else the reader's."""
    if zone is None:
        return get_timezone()
    if isinstance(zone, str):
        from zoneinfo import ZoneInfo

        return ZoneInfo(zone)
    return zone


def _as_utc(value: datetime) -> datetime:
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def script_i18n() -> dict:
    """What the page's scripts need to speak the reader's language: the messages, and how
    to format dates (BCP 47 tag with the digits, and the account's zone)."""
    digits = numbering_system()
    tag = str(_locale()).replace("_", "-")
    zone = getattr(current_user, "time_zone", None) if current_user else None
    return {
        "locale": {"tag": f"{tag}-u-nu-{digits}", "zone": zone or None},
        "strings": {message: gettext(message) for message in SCRIPT_MESSAGES},
    }


def text_direction(locale: Locale | None = None) -> str:
    """``rtl`` or ``ltr``, as Babel knows the locale's script."""
    locale = locale or get_locale() or Locale.parse(DEFAULT_LANGUAGE)
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


# The catalogues translators edit (.po); the app compiles them at start-up (.mo files are
# build products, never committed).
SOURCE_CATALOGUES = Path(__file__).parent / "translations"


def compile_catalogues(source: Path, target: Path) -> Path:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under ``source`` into the same layout under
    ``target``, only where the .po is newer than its .mo. Each .mo is written to a temporary
    file and renamed, so a process starting alongside never reads half a catalogue."""
    for po_path in source.glob("*/LC_MESSAGES/*.po"):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file)
        handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(handle, "wb") as mo_file:
                write_mo(mo_file, catalogue, use_fuzzy=False)
            os.replace(temporary, mo_path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
    return target


def init_app(app: Flask) -> None:
    cache = Path(app.config.get("EMISA_DATA_DIR") or app.instance_path) / "translations"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compile_catalogues(SOURCE_CATALOGUES, cache))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    app.add_template_filter(term, "term")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_time, "time")
    app.add_template_filter(format_skeleton, "skeleton")
    app.add_template_global(weekday_names)
    app.add_template_global(script_i18n)
    app.add_template_global(zone_name)

    @app.context_processor
    def _language():
        locale = get_locale()
        return {
            "html_lang": str(locale) if locale else DEFAULT_LANGUAGE,
            "html_dir": text_direction(locale),
            "interface_languages": language_names(),
        }
