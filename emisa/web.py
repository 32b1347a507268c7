"""Helpers every web view uses: load an object or 404, check the policy, read pagination."""

from __future__ import annotations

from typing import Any

from flask import abort, request
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
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def wants_json() -> bool:
    return request.path.startswith("/api/")
