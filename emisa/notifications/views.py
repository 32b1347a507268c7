"""The notification inbox, the bell's dropdown and settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emisa.access import require
from emisa.extensions import db
from emisa.forms import ConfirmForm
from emisa.mail import mail_configured
from emisa.notifications import operations as ops
from emisa.notifications.forms import SettingsForm
from emisa.notifications.kinds import KINDS
from emisa.notifications.models import Notification
from emisa.web import load_checked, page_number

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index():
    require(current_user, "use")
    page = page_number()
    rows, more = ops.page_of(current_user.id, page)
    return render_template(
        "notifications/index.html",
        rows=rows,
        page=page,
        more=more,
        text_of=ops.text_of,
    )


@bp.route("/notifications/recent")
@login_required
def recent():
    """The bell's dropdown: a fragment the top bar's script shows under the bell."""
    require(current_user, "use")
    return render_template(
        "notifications/_recent.html",
        rows=ops.recent(current_user.id),
        text_of=ops.text_of,
    )


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id: int):
    """Mark as read and follow the link (the target page checks access again)."""
    row = load_checked(Notification, notification_id, "open")
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("notifications.index"))
    ops.mark_read(current_user.id, row.id)
    return redirect(row.link or url_for("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    require(current_user, "use")
    if ConfirmForm().validate_on_submit():
        ops.mark_read(current_user.id)
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    require(current_user, "use")
    current = ops.settings_of(current_user.id)
    form = SettingsForm(obj=current, data={"email": ops.email_modes(current_user.id)})
    if request.method == "POST" and form.validate_on_submit():
        current.mentions = form.mentions.data
        current.replies = form.replies.data
        current.new_threads = form.new_threads.data
        db.session.merge(current)
        ops.set_email_modes(current_user.id, form.email.data)
        flash(_("Your notification settings were saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html", form=form, kinds=KINDS, mail_configured=mail_configured()
    )
