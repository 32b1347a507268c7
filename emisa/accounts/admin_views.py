"""Platform administration of accounts: invite, suspend, reactivate, expiry, reset 2FA, correct
details and grant or remove the admin role (the last needs the acting admin's re-authentication)."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from emisa import audit
from emisa.access import can, require
from emisa.access.membership import memberships_of
from emisa.access.roles import PlatformRole
from emisa.accounts import operations
from emisa.accounts.forms import AccountDetailsForm, ExpiryForm, InviteForm, RoleForm
from emisa.accounts.models import User
from emisa.accounts.views import reauthenticated
from emisa.database import keep_before_refusal
from emisa.extensions import db
from emisa.forms import ConfirmForm
from emisa.i18n import term
from emisa.mail import mail_configured, send_mail
from emisa.operations import OperationError
from emisa.web import load, on_refusal

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _end_of_day(day) -> datetime | None:
    return datetime.combine(day, time(23, 59, 59)) if day else None


def _invitation_page(user: User, token: str):
    link = url_for("auth.invitation", token=token, _external=True)
    mailed = mail_configured() and send_mail(
        user.email,
        _("Your EMISA invitation"),
        _(
            "%(name)s invited you to the EMISA platform.\n\n"
            "Open this link to set your password and enrol two-factor sign-in:\n%(link)s\n\n"
            "The link works once and expires in 7 days.",
            name=current_user.name,
            link=link,
        ),
    )
    return render_template("admin/invitation_link.html", user=user, link=link, mailed=mailed)


@bp.route("/accounts")
@login_required
def accounts():
    require(current_user, "administer")
    query = select(User).order_by(User.name)
    text = request.args.get("q", "").strip()
    if text:
        like = f"%{text.lower()}%"
        query = query.where(or_(User.email.like(like), User.name.ilike(like)))
    state = request.args.get("state", "")
    if state:
        query = query.where(User.state == state)
    return render_template(
        "admin/accounts.html", users=db.session.scalars(query.limit(500)).all(), q=text, state=state
    )


@bp.route("/accounts/invite", methods=["GET", "POST"])
@login_required
def invite():
    require(current_user, "administer")
    form = InviteForm()
    status = 200
    if form.validate_on_submit():
        if form.role.data == PlatformRole.ADMIN and not reauthenticated(form):
            return render_template("admin/invite.html", form=form), 400
        details = operations.AccountDetails(
            email=form.email.data,
            name=form.name.data,
            country=form.country.data,
            organisation=form.organisation.data,
            kind=form.kind.data,
            role=form.role.data,
            expires_at=_end_of_day(form.expires_on.data),
        )
        try:
            user, token = operations.invite(details, current_user)
        except OperationError as error:
            form.email.errors.append(str(error))
            status = error.status
        else:
            return _invitation_page(user, token)
    elif request.method == "POST":
        status = 400
    return render_template("admin/invite.html", form=form), status


@bp.route("/accounts/<int:user_id>")
@login_required
def account(user_id: int):
    user = load(User, user_id)
    require(current_user, "manage", user)
    return _account_page(user)


def _account_page(user: User, status: int = 200, **forms):
    forms.setdefault("details_form", AccountDetailsForm(obj=user))
    forms.setdefault("role_form", RoleForm(role=user.role))
    return render_template(
        "admin/account.html",
        user=user,
        can_suspend=bool(can(current_user, "suspend", user)),
        memberships=memberships_of(user).values(),
        expiry_form=ExpiryForm(expires_on=user.expires_at.date() if user.expires_at else None),
        **forms,
    ), status


@bp.route("/accounts/<int:user_id>/details", methods=["POST"])
@login_required
def account_details(user_id: int):
    """Correct name, organisation or country; a country change applies from the next request."""
    user = load(User, user_id)
    require(current_user, "manage", user)
    form = AccountDetailsForm()
    if not form.validate_on_submit():
        return _account_page(user, 400, details_form=form)
    try:
        operations.correct_details(
            user,
            name=form.name.data,
            organisation=form.organisation.data,
            country=form.country.data,
            by=current_user,
        )
    except OperationError as error:
        form.name.errors.append(str(error))
        return _account_page(user, 400, details_form=form)
    flash(_("The account's details were saved."), "success")
    return redirect(url_for("admin.account", user_id=user.id))


@bp.route("/accounts/<int:user_id>/role", methods=["POST"])
@login_required
def account_role(user_id: int):
    """Grant or remove the admin role: only with the acting admin's password and code."""
    user = load(User, user_id)
    require(current_user, "manage", user)
    form = RoleForm()
    present = form.validate_on_submit() and reauthenticated(form)
    keep_before_refusal()  # a spent code stays spent, whatever follows
    if not present:
        return _account_page(user, 400, role_form=form)
    try:
        operations.change_role(user, form.role.data, current_user)
    except OperationError as error:
        form.role.errors.append(str(error))
        return _account_page(user, 409, role_form=form)
    flash(_("%(name)s is now %(role)s.", name=user.name, role=term(user.role)), "success")
    return redirect(url_for("admin.account", user_id=user.id))


_ACTIONS = {
    "suspend": (operations.suspend, _l("The account is suspended and signed out everywhere.")),
    "reactivate": (operations.reactivate, _l("The account is active again.")),
    "reset-2fa": (
        operations.reset_two_factor,
        _l("Two-factor sign-in was reset; the account enrols again at its next sign-in."),
    ),
}


@bp.route(
    "/accounts/<int:user_id>/<any(suspend, reactivate, 'reset-2fa'):action>", methods=["POST"]
)
@login_required
def account_action(user_id: int, action: str):
    user = load(User, user_id)
    require(current_user, "manage", user)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired; try again."), "danger")
        return redirect(url_for("admin.account", user_id=user.id))
    operation, done = _ACTIONS[action]
    on_refusal(url_for("admin.account", user_id=user.id))
    operation(user, current_user)
    flash(done, "success")
    return redirect(url_for("admin.account", user_id=user.id))


@bp.route("/accounts/<int:user_id>/expiry", methods=["POST"])
@login_required
def account_expiry(user_id: int):
    user = load(User, user_id)
    require(current_user, "manage", user)
    form = ExpiryForm()
    if form.validate_on_submit():
        operations.set_expiry(user, _end_of_day(form.expires_on.data), current_user)
        flash(_("The expiry date was saved."), "success")
    else:
        flash(_("That is not a valid date."), "danger")
    return redirect(url_for("admin.account", user_id=user.id))


@bp.route("/accounts/<int:user_id>/invitation", methods=["POST"])
@login_required
def reissue_invitation(user_id: int):
    user = load(User, user_id)
    require(current_user, "manage", user)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired; try again."), "danger")
        return redirect(url_for("admin.account", user_id=user.id))
    try:
        token = operations.reissue_invitation(user, current_user)
    except OperationError as error:
        audit.record_event("account.invitation_refused", outcome="denied", target=user)
        flash(str(error), "danger")
        return _account_page(user, 409)
    return _invitation_page(user, token)
