"""Pages: the dashboard, the group list and group page, membership and join requests."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emisa import dashboard as lists
from emisa.access import can, filter_allowed, require
from emisa.access.membership import Seat, membership_of, memberships_of
from emisa.accounts.operations import find_user
from emisa.groups import operations
from emisa.groups.forms import (
    AddMemberForm,
    DecisionForm,
    DeleteGroupForm,
    GroupForm,
    JoinForm,
    RoleForm,
)
from emisa.groups.models import JoinRequest, Membership, WorkingGroup
from emisa.i18n import term
from emisa.notifications.operations import text_of
from emisa.operations import OperationError
from emisa.web import load, load_checked, on_refusal

bp = Blueprint("groups", __name__)


@bp.route("/")
@login_required
def dashboard():
    require(current_user, "use")
    groups = operations.visible_groups(current_user)
    mine = memberships_of(current_user)
    my_groups = [g for g in groups if g.id in mine]
    # The policy judges each group: coordinators decide for theirs, administrators for any.
    coordinated = filter_allowed(current_user, "decide_join_requests", groups)
    pending = operations.pending_requests_by_group(coordinated)
    group_ids = sorted(g.id for g in my_groups)
    return render_template(
        "groups/dashboard.html",
        meetings=lists.upcoming_meetings(current_user, group_ids),
        documents=lists.recent_documents(current_user, group_ids),
        threads=lists.unread_threads(current_user, group_ids),
        mentions=lists.unread_mentions(current_user),
        unread_by_group=lists.unread_posts_by_group(current_user, group_ids),
        text_of=text_of,
        my_groups=my_groups,
        other_count=len(groups) - len(my_groups),
        memberships=mine,
        pending=pending,
        groups_by_id={g.id: g for g in groups},
        my_requests=operations.requests_of(current_user),
    )


@bp.route("/groups")
@login_required
def index():
    require(current_user, "use")
    return render_template(
        "groups/index.html",
        groups=operations.visible_groups(current_user),
        memberships=memberships_of(current_user),
    )


def _group_page(group: WorkingGroup, status: int = 200, **forms):
    membership = membership_of(current_user, group)
    manage = can(current_user, "manage_members", group)
    forms.setdefault("join_form", JoinForm())
    forms.setdefault("add_form", AddMemberForm())
    own_request = next(
        (r for r in operations.requests_of(current_user) if r.group_id == group.id), None
    )
    return (
        render_template(
            "groups/detail.html",
            group=group,
            membership=membership,
            can_manage=bool(manage),
            can_edit=bool(can(current_user, "edit", group)),
            can_request=bool(can(current_user, "request_join", group)),
            can_read=bool(can(current_user, "read_content", group)),
            members=sorted(group.memberships, key=lambda m: (m.role, m.user.name)),
            pending=filter_allowed(current_user, "decide", operations.pending_requests(group))
            if manage
            else [],
            own_request=own_request,
            role_form=RoleForm(),
            **forms,
        ),
        status,
    )


@bp.route("/groups/<int:group_id>")
@login_required
def detail(group_id: int):
    group = load_checked(WorkingGroup, group_id, "view")
    return _group_page(group)


def _save_group(form: GroupForm, group: WorkingGroup | None):
    try:
        if group is None:
            group = operations.create_group(
                form.name.data,
                form.mandate.data,
                form.allowed_countries.data,
                form.join_policy.data,
                by=current_user,
            )
        else:
            operations.update_group(
                group,
                name=form.name.data,
                mandate=form.mandate.data,
                allowed_countries=form.allowed_countries.data,
                join_policy=form.join_policy.data,
                by=current_user,
            )
    except OperationError as error:
        form.name.errors.append(str(error))
        return None, error.status
    return group, 200


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def create():
    require(current_user, "administer")
    form = GroupForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        group, status = _save_group(form, None)
        if group is not None:
            flash(_("The group %(group)s was created.", group=group.name), "success")
            return redirect(url_for("groups.detail", group_id=group.id))
    return render_template("groups/form.html", form=form, group=None), status


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def edit(group_id: int):
    group = load_checked(WorkingGroup, group_id, "edit")
    form = GroupForm(obj=group)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        saved, status = _save_group(form, group)
        if saved is not None:
            flash(_("The group was saved."), "success")
            return redirect(url_for("groups.detail", group_id=group.id))
    return render_template(
        "groups/form.html", form=form, group=group, delete_form=DeleteGroupForm()
    ), status


@bp.route("/groups/<int:group_id>/delete", methods=["POST"])
@login_required
def delete(group_id: int):
    group = load_checked(WorkingGroup, group_id, "delete")
    form = DeleteGroupForm()
    if form.validate_on_submit():
        try:
            operations.delete_group(group, form.confirm_name.data, current_user)
        except OperationError as error:
            form.confirm_name.errors.append(str(error))
        else:
            flash(_("The group was deleted and its keys destroyed."), "success")
            return redirect(url_for("groups.index"))
    return render_template(
        "groups/form.html", form=GroupForm(obj=group), group=group, delete_form=form
    ), 400


@bp.route("/groups/<int:group_id>/join", methods=["POST"])
@login_required
def request_join(group_id: int):
    group = load_checked(WorkingGroup, group_id, "request_join")
    form = JoinForm()
    if form.validate_on_submit():
        on_refusal(lambda status: _group_page(group, status, join_form=form))
        operations.request_to_join(group, current_user, form.motivation.data)
        flash(_("Your request was sent to the group's coordinators."), "success")
        return redirect(url_for("groups.detail", group_id=group.id))
    return _group_page(group, 400, join_form=form)


@bp.route("/join-requests/<int:request_id>/<any(approve, reject):decision>", methods=["POST"])
@login_required
def decide(request_id: int, decision: str):
    join_request = load_checked(JoinRequest, request_id, "decide")
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The form expired; try again."), "danger")
    else:
        on_refusal(lambda status: _group_page(join_request.group, status))
        operations.decide_join_request(
            join_request, decision == "approve", form.reason.data, current_user
        )
        flash(
            _("The request of %(name)s was approved.", name=join_request.user.name)
            if join_request.status == "approved"
            else _("The request of %(name)s was rejected.", name=join_request.user.name),
            "success",
        )
    return redirect(url_for("groups.detail", group_id=join_request.group_id))


@bp.route("/groups/<int:group_id>/members", methods=["POST"])
@login_required
def add_member(group_id: int):
    group = load_checked(WorkingGroup, group_id, "manage_members")
    form = AddMemberForm()
    if not form.validate_on_submit():
        return _group_page(group, 400, add_form=form)
    user = find_user(form.email.data)
    if user is None:
        form.email.errors.append(_("No account has this email address."))
        return _group_page(group, 404, add_form=form)
    require(current_user, "assign", Seat(group, user.id))
    try:
        operations.add_member(group, user, form.role.data, current_user)
    except OperationError as error:
        form.email.errors.append(str(error))
        return _group_page(group, error.status, add_form=form)
    flash(
        _("%(name)s was added as %(role)s.", name=user.name, role=term(form.role.data)), "success"
    )
    return redirect(url_for("groups.detail", group_id=group.id))


def _membership_in(group: WorkingGroup, membership_id: int) -> Membership:
    membership = load(Membership, membership_id)
    if membership.group_id != group.id:
        abort(404)
    return membership


@bp.route("/groups/<int:group_id>/members/<int:membership_id>/role", methods=["POST"])
@login_required
def change_role(group_id: int, membership_id: int):
    group = load_checked(WorkingGroup, group_id, "manage_members")
    membership = _membership_in(group, membership_id)
    require(current_user, "assign", Seat(group, membership.user_id))
    form = RoleForm()
    if form.validate_on_submit():
        on_refusal(lambda status: _group_page(group, status))
        operations.change_role(membership, form.role.data, current_user)
        flash(
            _("%(name)s is now %(role)s.", name=membership.user.name, role=term(membership.role)),
            "success",
        )
    return redirect(url_for("groups.detail", group_id=group.id))


@bp.route("/groups/<int:group_id>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(group_id: int, membership_id: int):
    group = load_checked(WorkingGroup, group_id, "manage_members")
    membership = _membership_in(group, membership_id)
    name = membership.user.name
    if DecisionForm().validate_on_submit():
        on_refusal(lambda status: _group_page(group, status))
        operations.remove_member(membership, current_user)
        flash(_("%(name)s was removed from the group.", name=name), "success")
    return redirect(url_for("groups.detail", group_id=group.id))


@bp.route("/groups/<int:group_id>/leave", methods=["POST"])
@login_required
def leave(group_id: int):
    group = load_checked(WorkingGroup, group_id, "leave")
    if DecisionForm().validate_on_submit():
        on_refusal(lambda status: _group_page(group, status))
        operations.remove_member(membership_of(current_user, group), current_user)
        flash(_("You left %(group)s.", group=group.name), "success")
    return redirect(url_for("groups.index"))
