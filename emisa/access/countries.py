"""ISO 3166-1 alpha-2 countries, from pycountry (the maintained ISO data), never typed by hand."""

from __future__ import annotations

from collections.abc import Iterable

import pycountry

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
        raise UnknownCountry(f"'{code}' is not an ISO 3166-1 alpha-2 country code.")
    return value


def normalise_countries(codes: Iterable[str] | str | None) -> list[str]:
    """Parse a list or a comma-separated string of codes; sorted, without duplicates."""
    if codes is None:
        return []
    if isinstance(codes, str):
        codes = [part for part in codes.split(",") if part.strip()]
    return sorted({normalise_country(code) for code in codes})


def country_name(code: str | None) -> str:
    return COUNTRIES.get(code or "", code or "")
