"""Meeting pages: the group's meetings tab and calendar, scheduling, details, the room."""

from __future__ import annotations

import calendar as month_calendar
import csv
import io
from datetime import date, datetime, timedelta
from functools import partial

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from emisa import audit
from emisa.access import can, require
from emisa.access.validation import eligible_recipients
from emisa.extensions import limiter
from emisa.groups.models import WorkingGroup
from emisa.i18n import DEFAULT_LANGUAGE, term
from emisa.meetings import events, feeds, ics, operations
from emisa.meetings.forms import MeetingForm, TimeZoneForm
from emisa.meetings.ice import ice_servers_for
from emisa.meetings.models import Meeting
from emisa.timeutil import utcnow
from emisa.web import load, load_checked, month_arg, on_refusal, page_count, page_number, page_url

bp = Blueprint("meetings", __name__)

PER_PAGE = 20  # meetings per list (upcoming, past) on the group's page
CALENDAR_MAX = 100  # meetings one month of the calendar shows; it says when there are more


def _zone_form() -> TimeZoneForm:
    form = TimeZoneForm(time_zone=current_user.time_zone or "UTC")
    form.time_zone.choices = [
        SelectChoice(z, z.replace("_", " ")) for z in operations.available_zones()
    ]
    return form


@bp.route("/meetings")
@login_required
def index():
    require(current_user, "use")
    meetings = operations.user_meetings(current_user)
    upcoming, past = operations.split_upcoming(meetings)
    return render_template(
        "meetings/index.html",
        upcoming=upcoming,
        past=past[:30],
        titles=_titles(meetings),
        zone_form=_zone_form(),
        feed=feeds.active_feed(current_user),
        feed_url=None,
    )


def _titles(meetings: list[Meeting]) -> dict[int, str]:
    return {m.id: operations.title_of(m) for m in meetings}


@bp.route("/meetings/time-zone", methods=["POST"])
@login_required
def time_zone():
    require(current_user, "use")
    form = _zone_form()
    if form.validate_on_submit() and operations.valid_zone(form.time_zone.data):
        current_user.time_zone = form.time_zone.data
        audit.record("account.time_zone_set", target=current_user)
        flash(_("Times are now shown in %(zone)s.", zone=form.time_zone.data), "success")
    else:
        flash(_("Choose a time zone from the list."), "danger")
    return redirect(request.form.get("next") or url_for("meetings.index"))


@bp.route("/meetings/feed", methods=["POST"])
@login_required
def issue_feed():
    require(current_user, "use")
    plain = feeds.issue_feed(current_user)
    meetings = operations.user_meetings(current_user)
    upcoming, past = operations.split_upcoming(meetings)
    flash(
        _("Your calendar feed address was created; copy it now, it is shown only once."), "success"
    )
    return render_template(
        "meetings/index.html",
        upcoming=upcoming,
        past=past[:30],
        titles=_titles(meetings),
        zone_form=_zone_form(),
        feed=feeds.active_feed(current_user),
        feed_url=f"{ics.base_url()}{url_for('meetings.feed', token=plain)}",
    )


@bp.route("/meetings/feed/revoke", methods=["POST"])
@login_required
def revoke_feed():
    require(current_user, "use")
    if feeds.revoke_feed(current_user):
        flash(_("Your calendar feed address no longer works."), "success")
    return redirect(url_for("meetings.index"))


@bp.route("/meetings/feed/<token>.ics")
@limiter.limit("120 per hour")
def feed(token: str):
    """The personal feed: the secret token is the credential (calendar apps cannot sign in)."""
    user = feeds.user_for_feed(token) if len(token) < 100 else None
    if user is None:
        audit.record_event("meeting.feed_refused", outcome="denied")
        abort(404)
    since = utcnow() - timedelta(days=90)
    # A calendar application fetches it: the owner's language and zone, not the app's.
    with force_locale(user.language or DEFAULT_LANGUAGE):
        body = ics.calendar(
            operations.user_meetings(user, since, signed_in=False),
            detailed=False,
            name=_("EMISA meetings"),
            zone=user.time_zone or "UTC",
        )
    audit.record_event("meeting.feed_read", actor=user, target=user)
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "no-store"})


# A group's meetings


@bp.route("/groups/<int:group_id>/meetings")
@login_required
def group_meetings(group_id: int):
    """Upcoming and past meetings, each its own paged list, and one month's calendar: the
    page opens the titles of the meetings it shows, never the whole group's."""
    group = load_checked(WorkingGroup, group_id, "list_meetings")
    now, lists = utcnow(), {}
    for when, arg in (("upcoming", "page"), ("past", "past_page")):
        number = page_number(arg)
        meetings, total = operations.meeting_page(
            current_user, group, number, PER_PAGE, when=when, now=now
        )
        pages = page_count(total, PER_PAGE)
        if number > pages:
            abort(404)
        lists[when] = meetings, number, pages, partial(page_url, name=arg)
    month = _month_arg()
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    start, end = (
        operations.to_utc(datetime.combine(day, datetime.min.time()), current_user.time_zone)
        for day in (weeks[0][0], weeks[-1][-1] + timedelta(days=1))
    )
    in_month, more = operations.meetings_between(current_user, group, start, end, CALENDAR_MAX)
    shown = {m.id: m for m in (*lists["upcoming"][0], *lists["past"][0], *in_month)}
    return render_template(
        "meetings/group.html",
        group=group,
        active_tab="meetings.group_meetings",
        lists=lists,
        unreadable=operations.meetings_known_of(group, current_user),
        titles=_titles(list(shown.values())),
        can_schedule=bool(can(current_user, "schedule_meeting", group)),
        month=month,
        weeks=_month_grid(weeks, in_month),
        more_in_month=more,
        prev_month=(month.replace(day=1) - timedelta(days=1)).replace(day=1),
        next_month=(month.replace(day=28) + timedelta(days=7)).replace(day=1),
    )


def _month_arg() -> date:
    """The ``?month=`` shown (YYYY-MM), this month in the reader's time zone by default."""
    return month_arg("month") or (
        operations.local(utcnow(), current_user.time_zone).date().replace(day=1)
    )


def _month_grid(
    weeks: list[list[date]], meetings: list[Meeting]
) -> list[list[tuple[date, list[Meeting]]]]:
    by_day: dict[date, list[Meeting]] = {}
    for meeting in meetings:
        day = operations.local(meeting.starts_at, current_user.time_zone).date()
        by_day.setdefault(day, []).append(meeting)
    return [[(day, by_day.get(day, [])) for day in week] for week in weeks]


def _member_choices(group: WorkingGroup) -> list[tuple[int, str]]:
    return [
        (user.id, f"{user.name} · {user.organisation} · {user.country}")
        for user in eligible_recipients(group)
    ]


def _form_input(form: MeetingForm) -> operations.MeetingInput:
    zone_name = current_user.time_zone
    return operations.MeetingInput(
        title=form.title.data,
        starts_at=operations.to_utc(form.starts_at.data, zone_name),
        ends_at=operations.to_utc(form.ends_at.data, zone_name),
        agenda=form.agenda.data or "",
        tlp=form.tlp.data,
        invitee_ids=form.invitees.data or [],
        releasable_to=form.releasable_to.data or [],
    )


@bp.route("/groups/<int:group_id>/meetings/new", methods=["GET", "POST"])
@login_required
def new(group_id: int):
    group = load_checked(WorkingGroup, group_id, "schedule_meeting")
    form = MeetingForm()
    form.invitees.choices = _member_choices(group)
    if request.method == "GET":
        start = operations.local(utcnow(), current_user.time_zone) + timedelta(days=7)
        start = start.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        form.starts_at.data, form.ends_at.data = start, start + timedelta(hours=2)
    if form.validate_on_submit():
        on_refusal(lambda status: _form_page(group, form, None, status))
        meeting = operations.create_meeting(group, _form_input(form), current_user)
        flash(_("The meeting is scheduled."), "success")
        _warn_left_out(meeting)
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return _form_page(group, form, None)


def _form_page(group: WorkingGroup, form: MeetingForm, meeting: Meeting | None, status: int = 200):
    """The scheduling form, for a new meeting or to edit ``meeting``."""
    return render_template(
        "meetings/form.html",
        group=group,
        form=form,
        meeting=meeting,
        partners=operations.partner_members(group),
    ), status


def _warn_left_out(meeting) -> None:
    """Say who the label keeps out instead of letting partners silently miss the meeting."""
    left_out = operations.partners_left_out(meeting)
    if left_out:
        flash(
            ngettext(
                "%(num)d partner member of this group will not see this meeting: partner "
                "accounts see only meetings marked TLP:GREEN or TLP:CLEAR.",
                "%(num)d partner members of this group will not see this meeting: partner "
                "accounts see only meetings marked TLP:GREEN or TLP:CLEAR.",
                left_out,
            ),
            "warning",
        )


@bp.route("/meetings/<int:meeting_id>")
@login_required
def detail(meeting_id: int):
    meeting = load_checked(Meeting, meeting_id, "view")
    audit.record_event("meeting.viewed", target=meeting)
    chair = can(current_user, "attendance", meeting)
    return render_template(
        "meetings/detail.html",
        meeting=meeting,
        group=meeting.group,
        title=operations.title_of(meeting),
        agenda=operations.agenda_of(meeting),
        minutes=operations.minutes_of(meeting),
        polls=operations.polls(meeting, current_user),
        invitees=operations.invitees(meeting),
        can_attend=bool(can(current_user, "attend", meeting)),
        can_edit=bool(can(current_user, "edit", meeting)),
        is_chair=bool(chair),
        attendance=operations.attendance(meeting) if chair else [],
    )


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int):
    meeting = load_checked(Meeting, meeting_id, "edit")
    group = meeting.group
    form = MeetingForm()
    form.invitees.choices = _member_choices(group)
    if request.method == "GET":
        form.title.data = operations.title_of(meeting)
        form.starts_at.data = operations.local(meeting.starts_at, current_user.time_zone).replace(
            tzinfo=None
        )
        form.ends_at.data = operations.local(meeting.ends_at, current_user.time_zone).replace(
            tzinfo=None
        )
        form.agenda.data = "\n".join(operations.agenda_of(meeting))
        form.tlp.data = meeting.tlp
        form.invitees.data = list(meeting.recipient_ids)
        form.releasable_to.data = list(meeting.releasable_to or [])
    if form.validate_on_submit():
        on_refusal(lambda status: _form_page(group, form, meeting, status))
        operations.update_meeting(meeting, _form_input(form), current_user)
        flash(_("The meeting was updated; invitees were notified."), "success")
        _warn_left_out(meeting)
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return _form_page(group, form, meeting)


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@login_required
def cancel(meeting_id: int):
    meeting = load_checked(Meeting, meeting_id, "cancel")
    sids = operations.cancel_meeting(meeting, current_user)
    events.broadcast_state(meeting, sids)
    flash(_("The meeting was cancelled; invitees were notified."), "success")
    return redirect(url_for("meetings.group_meetings", group_id=meeting.group_id))


@bp.route("/meetings/<int:meeting_id>/ics")
@login_required
def meeting_ics(meeting_id: int):
    meeting = load_checked(Meeting, meeting_id, "view")
    audit.record_event("meeting.ics_downloaded", target=meeting)
    body = ics.calendar(
        [meeting], detailed=True, name=_("EMISA meeting"), zone=current_user.time_zone or "UTC"
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="emisa-meeting-{meeting.id}.ics"'},
    )


def attendance_csv(meeting: Meeting) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "email", "organisation", "country", "joined_at_utc", "left_at_utc"])
    for row in operations.attendance(meeting):
        writer.writerow(
            [
                _csv_safe(row["name"]),
                _csv_safe(row["email"]),
                _csv_safe(row["organisation"]),
                row["country"],
                operations.iso(row["joined_at"]),
                operations.iso(row["left_at"]) or "",
            ]
        )
    audit.record_event("meeting.attendance_downloaded", target=meeting)
    name = f"emisa-meeting-{meeting.id}-attendance.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: neutralise them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.route("/meetings/<int:meeting_id>/attendance.csv")
@login_required
def attendance(meeting_id: int):
    return attendance_csv(load_checked(Meeting, meeting_id, "attendance"))


@bp.route("/meetings/<int:meeting_id>/room")
@login_required
def room(meeting_id: int):
    meeting = load(Meeting, meeting_id)
    require(current_user, "view", meeting)
    if not can(current_user, "attend", meeting):
        flash(
            _("This meeting is %(state)s; the room is closed.", state=term(meeting.state)),
            "warning",
        )
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return render_template(
        "meetings/room.html",
        meeting=meeting,
        group=meeting.group,
        title=operations.title_of(meeting),
        agenda=operations.agenda_of(meeting),
        ice_servers=ice_servers_for(current_user.id),
        chat_max=operations.CHAT_MAX,
    )
