"""The reader's language, script direction and time zone, chosen once per request.

Flask-Babel renders every translated string, date and number; this module only decides
*which* locale and zone apply: the account's choice, else the browser's Accept-Language,
else English, and the account's time zone, else UTC.
"""

from __future__ import annotations

from babel import Locale
from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale
from flask_login import current_user

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

babel = Babel()


def language_names() -> list[tuple[str, str]]:
    """Each interface language named in itself, for the language switch."""
    return [(code, Locale.parse(code).get_display_name(code).capitalize()) for code in LANGUAGES]


def browser_language() -> str:
    """The best interface language for the request's Accept-Language header (English for
    work done outside a request: commands, background jobs)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    for value, _quality in request.accept_languages:
        tag = value.replace("_", "-").lower()
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
        if primary in FALLBACKS:
            return FALLBACKS[primary]
    return DEFAULT_LANGUAGE


def select_locale() -> str:
    language = getattr(current_user, "language", None) if current_user else None
    if language in LANGUAGES:
        return language
    return browser_language()


def select_timezone() -> str:
    zone = getattr(current_user, "time_zone", None) if current_user else None
    return zone or "UTC"


def text_direction(locale: Locale | None = None) -> str:
    """``rtl`` or ``ltr``, as Babel knows the locale's script."""
    locale = locale or get_locale() or Locale.parse(DEFAULT_LANGUAGE)
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    @app.context_processor
    def _language():
        locale = get_locale()
        return {
            "html_lang": str(locale) if locale else DEFAULT_LANGUAGE,
            "html_dir": text_direction(locale),
            "interface_languages": language_names(),
        }
