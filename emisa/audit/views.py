"""The audit log in the browser, for platform administrators, with filters."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, Flask, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from emisa import audit
from emisa.access import require
from emisa.audit.models import AuditAction, AuditEntry
from emisa.extensions import db
from emisa.web import date_arg, page_count, page_number, page_url, whole_number_arg

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PAGE_SIZE = 100


@bp.route("")
@login_required
def index():
    require(current_user, "administer")
    filters = {
        key: request.args.get(key, "").strip()
        for key in ("action", "actor", "outcome", "group", "since", "until")
    }
    query = select(AuditEntry)
    if filters["action"]:
        query = query.where(AuditEntry.action.startswith(filters["action"]))
    if filters["actor"]:
        query = query.where(AuditEntry.actor_email.contains(filters["actor"].lower()))
    if filters["outcome"]:
        query = query.where(AuditEntry.outcome == filters["outcome"])
    if group_id := whole_number_arg("group"):
        query = query.where(AuditEntry.group_id == group_id)
    if since := date_arg("since"):
        query = query.where(AuditEntry.created_at >= datetime.combine(since, time.min))
    if until := date_arg("until"):
        query = query.where(
            AuditEntry.created_at < datetime.combine(until + timedelta(days=1), time.min)
        )
    if query.whereclause is None:
        # The chain numbers its entries from 1 without gaps: the newest number is the count,
        # read off the index instead of counting the whole log.
        total = db.session.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0)))
    else:
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = page_number()
    entries = db.session.scalars(
        query.order_by(AuditEntry.seq.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    actions = db.session.scalars(select(AuditAction.action).order_by(AuditAction.action))
    return render_template(
        "admin/audit.html",
        entries=entries,
        filters=filters,
        page=page,
        pages=page_count(total, PAGE_SIZE),
        page_url=page_url,
        total=total,
        actions=list(actions),
    )


@bp.route("/verify")
@login_required
def verify():
    require(current_user, "administer")
    return render_template("admin/audit_verify.html", result=audit.verify())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
