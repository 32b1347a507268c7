"""Helpers every web view uses: load an object or 404, check the policy, read pagination."""

from __future__ import annotations

from typing import Any

from flask import abort, request, url_for
from flask_login import current_user

from emisa.access import require
from emisa.extensions import db


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


def page_number() -> int:
    """The ``?page=`` of a paged list: absent or empty is the first; anything but a whole
    number of 1 or more is refused with 400, not quietly read as some other page."""
    raw = request.args.get("page", "").strip()
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        abort(400, description="The page number must be a whole number of 1 or more.")
    return int(raw)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def page_count(items: int, per_page: int) -> int:
    """Pages needed for ``items`` (an empty list still has its one, empty, page)."""
    return max(1, -(-items // per_page))


def page_url(page: int) -> str:
    """This page's address with its query (the active filters) kept and another page number."""
    return url_for(
        request.endpoint, **{**request.args.to_dict(), **request.view_args, "page": page}
    )
