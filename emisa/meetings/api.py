"""Meetings over the JSON API: schedule, list, read, change, cancel, iCalendar, attendance."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from emisa import audit
from emisa.access.markings import Tlp
from emisa.api.blueprint import api_blueprint, errors, links
from emisa.api.pagination import Page, paginated
from emisa.api.schemas import DatabaseId, written
from emisa.groups.models import WorkingGroup
from emisa.meetings import events, ics, operations
from emisa.meetings.models import Meeting
from emisa.meetings.views import attendance_csv
from emisa.web import load_checked

blp = api_blueprint("api_meetings", __name__, "Online meetings of working groups")


class MeetingCreate(Schema):
    title = fields.String(required=True, validate=written(3, 200))
    starts_at = fields.String(
        required=True,
        metadata={
            "format": "date-time",
            "description": "RFC 3339; an ISO 8601 value without an offset is read as UTC",
        },
    )
    ends_at = fields.String(
        required=True, metadata={"format": "date-time", "description": "after starts_at"}
    )
    agenda = fields.Raw(
        load_default=list,
        metadata={
            "description": "a list of agenda items, or one string with one item per line",
            "oneOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "maxItems": operations.AGENDA_ITEMS_MAX,
                    "items": {"type": "string", "maxLength": operations.AGENDA_ITEM_MAX},
                },
            ],
        },
    )
    tlp = fields.String(required=True, validate=validate.OneOf([t.value for t in Tlp]))
    invitees = fields.List(
        DatabaseId(),
        load_default=list,
        metadata={"description": "TLP:RED only: user ids of the invited members"},
    )
    releasable_to = fields.List(fields.String(), load_default=list)

    @validates_schema
    def _agenda_shape(self, data, **_kwargs):
        agenda = data.get("agenda")
        if not isinstance(agenda, str | list) or (
            isinstance(agenda, list) and not all(isinstance(item, str) for item in agenda)
        ):
            raise ValidationError(_("A list of strings, or one string."), "agenda")


class MeetingSummary(Schema):
    id = fields.Integer()
    group_id = fields.Integer()
    title = fields.Function(operations.title_of)
    starts_at = fields.Function(lambda m: operations.iso(m.starts_at))
    ends_at = fields.Function(lambda m: operations.iso(m.ends_at))
    agenda = fields.Function(operations.agenda_of)
    tlp = fields.String()
    releasable_to = fields.List(fields.String())
    state = fields.String(metadata={"description": "scheduled, open, closed or cancelled"})
    locked = fields.Boolean()
    invitees = fields.Function(
        lambda m: list(m.recipient_ids) or None,
        metadata={"description": "TLP:RED: the named invitees; null: every member"},
    )
    created_at = fields.Function(lambda m: operations.iso(m.created_at))
    updated_at = fields.Function(lambda m: operations.iso(m.updated_at))


class MeetingDetail(MeetingSummary):
    minutes = fields.Function(lambda m: operations.minutes_of(m) or None)
    polls = fields.Function(lambda m: operations.polls(m, current_user))


def _input(body) -> operations.MeetingInput:
    return operations.MeetingInput(
        title=body["title"],
        starts_at=operations.parse_instant(body["starts_at"]),
        ends_at=operations.parse_instant(body["ends_at"]),
        agenda=body["agenda"],
        tlp=body["tlp"],
        invitee_ids=body["invitees"],
        releasable_to=body["releasable_to"],
    )


@blp.route("/groups/<int:gid>/meetings", methods=["POST"])
@links(
    blp,
    201,
    "GET /meetings/{meeting_id}",
    "PUT /meetings/{meeting_id}",
    "POST /meetings/{meeting_id}/cancel",
    "GET /meetings/{meeting_id}/ics",
    "GET /meetings/{meeting_id}/attendance",
)
@blp.arguments(MeetingCreate)
@blp.response(201, MeetingDetail)
@errors(blp, 400, 401, 403, 404)
def create_meeting(body, gid: int):
    """Schedule a meeting (the group's coordinators)."""
    group = load_checked(WorkingGroup, gid, "schedule_meeting")
    return operations.create_meeting(group, _input(body), current_user)


@blp.route("/groups/<int:gid>/meetings")
@paginated(blp, MeetingSummary(many=True))
@errors(blp, 400, 401, 403, 404)
def list_meetings(gid: int, page: Page):
    """The group's meetings the caller may see, by start time."""
    group = load_checked(WorkingGroup, gid, "list_meetings")
    return page.answer(*operations.meeting_page(current_user, group, page.number, page.size))


@blp.route("/meetings/<int:meeting_id>")
@blp.response(200, MeetingDetail)
@errors(blp, 401, 404)
def get_meeting(meeting_id: int):
    """One meeting, with its minutes and polls once there are any."""
    meeting = load_checked(Meeting, meeting_id, "view")
    audit.record_event("meeting.viewed", target=meeting)
    return meeting


@blp.route("/meetings/<int:meeting_id>", methods=["PUT"])
@blp.arguments(MeetingCreate)
@blp.response(200, MeetingDetail)
@errors(blp, 400, 401, 403, 404, 409)
def update_meeting(body, meeting_id: int):
    """Change a meeting (coordinators); invitees are notified."""
    meeting = load_checked(Meeting, meeting_id, "edit")
    operations.update_meeting(meeting, _input(body), current_user)
    return meeting


@blp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@blp.response(200, MeetingDetail)
@errors(blp, 401, 403, 404, 409)
def cancel_meeting(meeting_id: int):
    """Cancel a meeting (coordinators); invitees are notified, the room closes."""
    meeting = load_checked(Meeting, meeting_id, "cancel")
    sids = operations.cancel_meeting(meeting, current_user)
    events.broadcast_state(meeting, sids)
    return meeting


@blp.route("/meetings/<int:meeting_id>/ics")
@blp.response(200, content_type="text/calendar", description="RFC 5545 iCalendar")
@errors(blp, 401, 404)
def meeting_ics(meeting_id: int):
    """The meeting as an iCalendar file."""
    meeting = load_checked(Meeting, meeting_id, "view")
    audit.record_event("meeting.ics_downloaded", target=meeting)
    body = ics.calendar(
        [meeting], detailed=True, name=_("EMISA meeting"), zone=current_user.time_zone or "UTC"
    )
    return Response(body, mimetype="text/calendar")


@blp.route("/meetings/<int:meeting_id>/attendance")
@blp.response(200, content_type="text/csv", description="CSV: who was in the room, when")
@errors(blp, 401, 403, 404)
def attendance(meeting_id: int):
    """The attendance record as CSV (coordinators)."""
    return attendance_csv(load_checked(Meeting, meeting_id, "attendance"))
