"""Working groups, members and join requests over the API."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from emisa.access import filter_allowed, require
from emisa.access.membership import Seat, memberships_of
from emisa.access.roles import GroupRole, JoinPolicy
from emisa.accounts.operations import find_user
from emisa.api.blueprint import api_blueprint, errors, links
from emisa.api.pagination import Page, paginated
from emisa.extensions import db
from emisa.groups import operations
from emisa.groups.models import GroupListing, JoinRequest, WorkingGroup
from emisa.groups.models import Membership as MembershipRow
from emisa.web import load_checked

blp = api_blueprint("api_groups", __name__, "Working groups, memberships and join requests")


class GroupSummary(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    my_role = fields.String(allow_none=True, metadata={"description": "null if not a member"})


class Group(GroupSummary):
    mandate = fields.String()
    allowed_countries = fields.List(fields.String())
    join_policy = fields.String()
    member_count = fields.Integer()
    created_at = fields.DateTime()


def _summary(group, memberships: dict) -> dict:
    membership = memberships.get(group.id)
    return {
        "id": group.id,
        "slug": group.slug,
        "name": group.name,
        "my_role": membership.role if membership else None,
    }


def _detail(group: WorkingGroup) -> dict:
    return {
        **_summary(group, memberships_of(current_user)),
        "mandate": group.mandate,
        "allowed_countries": group.allowed_countries,
        "join_policy": group.join_policy,
        "member_count": len(group.memberships),
        "created_at": group.created_at,
    }


class GroupCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(min=3, max=120))
    mandate = fields.String(load_default="", validate=validate.Length(max=5000))
    allowed_countries = fields.List(fields.String(), load_default=list)
    join_policy = fields.String(
        load_default=JoinPolicy.REQUEST.value,
        validate=validate.OneOf([p.value for p in JoinPolicy]),
    )


class MemberCreate(Schema):
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in GroupRole]))


class Membership(Schema):
    id = fields.Integer()
    group_id = fields.Integer()
    user_id = fields.Integer()
    email = fields.Function(lambda m: m.user.email)
    name = fields.Function(lambda m: m.user.name)
    country = fields.Function(lambda m: m.user.country)
    role = fields.String()
    created_at = fields.DateTime()


class JoinRequestCreate(Schema):
    motivation = fields.String(required=True, validate=validate.Length(min=10, max=2000))


class JoinRequestOut(Schema):
    id = fields.Integer()
    group_id = fields.Integer()
    user_id = fields.Integer()
    motivation = fields.String()
    status = fields.String()
    reason = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class DecisionBody(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


@blp.route("/groups")
@paginated(blp, GroupSummary(many=True))
@errors(blp, 400, 401)
def list_groups(page: Page):
    """The groups the caller may see, with the caller's role in each (null if not a member)."""
    require(current_user, "use")
    memberships = memberships_of(current_user)
    statement = operations.visible_groups_statement(current_user)
    rows = map(GroupListing.from_row, db.session.execute(page.of(statement)))
    groups = filter_allowed(current_user, "view", rows)
    # Built to the documented schema directly: a marshmallow dump of a long list costs more
    # than the rest of the request.
    return page.response([_summary(g, memberships) for g in groups], page.total(statement))


@blp.route("/groups", methods=["POST"])
@links(
    blp,
    201,
    "GET /groups/{gid}",
    "GET /groups/{gid}/members",
    "POST /groups/{gid}/members",
    "POST /groups/{gid}/join-requests",
    "GET /groups/{gid}/join-requests",
    "POST /groups/{gid}/threads",
    "GET /groups/{gid}/threads",
    "POST /groups/{group_id}/documents",
    "GET /groups/{group_id}/documents",
    "POST /groups/{gid}/meetings",
    "GET /groups/{gid}/meetings",
)
@blp.arguments(GroupCreate)
@blp.response(201, Group)
@errors(blp, 400, 401, 403, 409)
def create_group(body):
    """Create a working group (platform admins)."""
    require(current_user, "administer")
    group = operations.create_group(
        body["name"],
        body["mandate"],
        body["allowed_countries"],
        body["join_policy"],
        current_user,
    )
    return _detail(group)


@blp.route("/groups/<int:gid>")
@blp.response(200, Group)
@errors(blp, 401, 404)
def get_group(gid: int):
    return _detail(load_checked(WorkingGroup, gid, "view"))


@blp.route("/groups/<int:gid>/members")
@paginated(blp, Membership(many=True))
@errors(blp, 400, 401, 403, 404)
def list_members(gid: int, page: Page):
    """Members of a group, for its members and administrators, in the order they joined."""
    group = load_checked(WorkingGroup, gid, "list_members")
    statement = (
        select(MembershipRow)
        .options(joinedload(MembershipRow.user))
        .where(MembershipRow.group_id == group.id)
        .order_by(MembershipRow.id)
    )
    return page.answer(db.session.scalars(page.of(statement)).all(), page.total(statement))


@blp.route("/groups/<int:gid>/members", methods=["POST"])
@blp.arguments(MemberCreate)
@blp.response(201, Membership)
@errors(blp, 400, 401, 403, 404, 409)
def add_member(body, gid: int):
    """Add an account to the group (coordinators and admins)."""
    group = load_checked(WorkingGroup, gid, "manage_members")
    user = find_user(body["email"])
    if user is None:
        abort(404, description="No account has this email address.")
    require(current_user, "assign", Seat(group, user.id))
    return operations.add_member(group, user, body["role"], current_user)


@blp.route("/groups/<int:gid>/join-requests", methods=["POST"])
@links(
    blp, 201, "POST /join-requests/{request_id}/approve", "POST /join-requests/{request_id}/reject"
)
@blp.arguments(JoinRequestCreate)
@blp.response(201, JoinRequestOut)
@errors(blp, 400, 401, 403, 404, 409)
def create_join_request(body, gid: int):
    """Ask to join a group whose join policy is ``request``."""
    group = load_checked(WorkingGroup, gid, "request_join")
    return operations.request_to_join(group, current_user, body["motivation"])


@blp.route("/groups/<int:gid>/join-requests")
@paginated(blp, JoinRequestOut(many=True))
@errors(blp, 400, 401, 403, 404)
def list_join_requests(gid: int, page: Page):
    """Pending join requests (coordinators and admins), oldest first."""
    group = load_checked(WorkingGroup, gid, "decide_join_requests")
    statement = operations.pending_requests_statement(group)
    return page.answer(db.session.scalars(page.of(statement)).all(), page.total(statement))


@blp.route("/join-requests/<int:request_id>/approve", methods=["POST"])
@blp.response(200, JoinRequestOut)
@errors(blp, 401, 403, 404, 409)
def approve(request_id: int):
    join_request = load_checked(JoinRequest, request_id, "decide")
    operations.decide_join_request(join_request, True, "", current_user)
    return join_request


@blp.route("/join-requests/<int:request_id>/reject", methods=["POST"])
@blp.arguments(DecisionBody)
@blp.response(200, JoinRequestOut)
@errors(blp, 400, 401, 403, 404, 409)
def reject(body, request_id: int):
    join_request = load_checked(JoinRequest, request_id, "decide")
    operations.decide_join_request(join_request, False, body["reason"], current_user)
    return join_request
