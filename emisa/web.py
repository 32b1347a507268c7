"""Helpers every web view uses: load an object or 404, check the policy, read pagination."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import abort, g, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from emisa.access import require
from emisa.extensions import db

# The largest id a row can have (every id column is an SQL INTEGER; PostgreSQL refuses a
# larger number outright), and the pages, days and months a query string may name: a
# neighbouring day or month of each stays within what ``date`` can hold.
DATABASE_ID_MAX = 2**31 - 1
MAX_PAGE = 1_000_000
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def load(model: type, object_id: Any):
    """The row or a 404; never tells an absent row from a hidden one."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def load_checked(model: type, object_id: Any, action: str):
    """Load, then check ``action`` on it with the policy (AccessDenied becomes 403/404)."""
    obj = load(model, object_id)
    require(current_user, action, obj)
    return obj


def _decimal_up_to(limit: int) -> str:
    """A regular expression for the ASCII decimals from 0 to ``limit`` (leading zeros fit
    only within ``limit``'s number of digits)."""
    digits = str(limit)
    shorter = f"[0-9]{{1,{len(digits) - 1}}}" if len(digits) > 1 else None
    same_length = [
        f"{digits[:i]}[0-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}"
        for i, digit in enumerate(digits)
        if digit != "0"
    ]
    return "(?:" + "|".join(filter(None, [shorter, *same_length, digits])) + ")"


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits up to the largest id a database row can
    have (INTEGER). Anything else matches no route, so it is a 404 like any unknown address,
    never a failure in the query."""

    regex = _decimal_up_to(DATABASE_ID_MAX)


def whole_number_arg(
    name: str, maximum: int = DATABASE_ID_MAX, args=None, what: str | None = None
) -> int | None:
    """``?name=`` (of ``args``, the request's by default) as a whole number from 1 to
    ``maximum``; absent or empty is None, anything else (signs, exponents, other digits, too
    large) is refused with 400 saying what was expected of ``what`` (the name by default)."""
    raw = (request.args if args is None else args).get(name, "").strip()
    if not raw:
        return None
    digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum))
    if not digits or not 1 <= int(raw) <= maximum:
        abort(400, description=f"{what or name} must be a whole number from 1 to {maximum:,}.")
    return int(raw)


def page_number(name: str = "page") -> int:
    """The ``?page=`` (or ``?name=``, for a second list on the page) of a paged list: absent or
    empty is the first; anything else but a page number is refused with 400, not quietly read
    as some other page."""
    return whole_number_arg(name, maximum=MAX_PAGE, what="The page number") or 1


def date_arg(name: str) -> date | None:
    """``?name=`` as an ISO date (YYYY-MM-DD) in the years the platform can compute with."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw) if ISO_DATE.fullmatch(raw) else None
    except ValueError:
        value = None
    if value is None or not FIRST_DAY <= value <= LAST_DAY:
        abort(400, description=f"{name} must be a date from {FIRST_DAY} to {LAST_DAY}.")
    return value


def month_arg(name: str) -> date | None:
    """``?name=`` as a month (YYYY-MM), returned as its first day; absent or empty is None."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    match = ISO_MONTH.fullmatch(raw)
    year, month = (int(match[1]), int(match[2])) if match else (0, 0)
    if not (1 <= month <= 12 and FIRST_DAY.year <= year <= LAST_DAY.year):
        abort(
            400,
            description=f"{name} must be a month (YYYY-MM) from {FIRST_DAY.year}-01 "
            f"to {LAST_DAY.year}-12.",
        )
    return date(year, month, 1)


def wants_json() -> bool:
    """The one test of whether an answer is JSON: the API's paths, or a page's script that
    asks for JSON only (the upload form's progress script)."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def on_refusal(answer: str | Callable[[int], ResponseReturnValue]) -> None:
    """How this page answers should an operation refuse (``OperationError``): the address
    to send the person back to, or a function that renders the page again with the given
    status (a form and what was typed in it). Either way the message is flashed and nothing
    the request wrote is kept; without it the refusal is an error page."""
    g.emisa_on_refusal = answer


def refusal_answer() -> str | Callable[[int], ResponseReturnValue] | None:
    return g.get("emisa_on_refusal")


def page_count(items: int, per_page: int) -> int:
    """Pages needed for ``items`` (an empty list still has its one, empty, page)."""
    return max(1, -(-items // per_page))


def page_url(page: int, name: str = "page") -> str:
    """This page's address with its query (the active filters, the other list's page) kept
    and another page number in ``?name=``."""
    return url_for(request.endpoint, **{**request.args.to_dict(), **request.view_args, name: page})
