"""ISO 3166-1 alpha-2 countries, from pycountry (the maintained ISO data), never typed by hand."""

from __future__ import annotations

from collections.abc import Iterable

import pycountry
from flask_babel import get_locale
from flask_babel import gettext as _

COUNTRIES: dict[str, str] = {
    country.alpha_2: getattr(country, "common_name", country.name)
    for country in sorted(pycountry.countries, key=lambda c: c.name)
}


class UnknownCountry(ValueError):
    """Raised for a code that is not an ISO 3166-1 alpha-2 country."""


def normalise_country(code: str) -> str:
    """Return the upper-case code, or raise UnknownCountry with a sentence for a person."""
    value = (code or "").strip().upper()
    if value not in COUNTRIES:
        raise UnknownCountry(_("'%(code)s' is not an ISO 3166-1 alpha-2 country code.", code=code))
    return value


def normalise_countries(codes: Iterable[str] | str | None) -> list[str]:
    """Parse a list or a comma-separated string of codes; sorted, without duplicates."""
    if codes is None:
        return []
    if isinstance(codes, str):
        codes = [part for part in codes.split(",") if part.strip()]
    return sorted({normalise_country(code) for code in codes})


def country_name(code: str | None) -> str:
    """The country's name in the reader's language (CLDR, through Babel), else English."""
    code = code or ""
    locale = get_locale()
    if locale is not None and locale.language != "en":
        localised = locale.territories.get(code)
        if localised:
            return localised
    return COUNTRIES.get(code, code)


def localised_countries() -> dict[str, str]:
    """Every country, code to name in the reader's language, sorted by that name."""
    names = {code: country_name(code) for code in COUNTRIES}
    return dict(sorted(names.items(), key=lambda item: item[1].casefold()))
