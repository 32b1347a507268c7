"""iCalendar (RFC 5545) for one meeting and for a person's feed, written by ``icalendar``.

Calendar feeds are fetched by calendar services outside the platform, so a feed
names meetings above TLP:GREEN by their label and group only: no title, no
agenda. A single meeting's file is downloaded by a signed-in invitee and carries
the details, marked with the TLP label and CLASS:CONFIDENTIAL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from urllib.parse import urlsplit

from flask import current_app, request
from flask_babel import gettext as _
from icalendar import Calendar, Event

from emisa.access.markings import parse_tlp
from emisa.i18n import format_datetime, format_time
from emisa.meetings import operations
from emisa.meetings.models import Meeting
from emisa.timeutil import utcnow


def base_url() -> str:
    configured = current_app.config.get("EMISA_BASE_URL")
    return (configured or request.host_url).rstrip("/")


def _when(meeting: Meeting, zone: str) -> str:
    """The meeting's start and end in the reader's zone, the zone named (the file's own
    times are UTC; this line is for whoever reads the description)."""
    return _(
        "%(start)s to %(end)s (%(zone)s)",
        start=format_datetime(meeting.starts_at, "full", zone=zone),
        end=format_time(meeting.ends_at, zone=zone),
        zone=zone,
    )


def _event(meeting: Meeting, *, detailed: bool, zone: str) -> Event:
    root = base_url()
    host = urlsplit(root).hostname or "emisa"
    link = f"{root}/meetings/{meeting.id}"
    shareable = parse_tlp(meeting.tlp).library_visible
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", utcnow().replace(tzinfo=UTC))
    event.add("dtstart", meeting.starts_at.replace(tzinfo=UTC))
    event.add("dtend", meeting.ends_at.replace(tzinfo=UTC))
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if meeting.state == "cancelled" else "CONFIRMED")
    event.add("class", "PUBLIC" if shareable else "CONFIDENTIAL")
    event.add("categories", [meeting.tlp])
    event.add("url", link)
    event.add("location", _("EMISA online meeting room: %(link)s", link=link + "/room"))
    if detailed or shareable:
        agenda = operations.agenda_of(meeting)
        lines = [
            meeting.tlp,
            _("Working group: %(group)s", group=meeting.group.name),
            _("When: %(when)s", when=_when(meeting, zone)),
        ]
        if agenda:
            lines += ["", _("Agenda:")] + [f"{n}. {item}" for n, item in enumerate(agenda, 1)]
        lines += ["", _("Details and room: %(link)s", link=link)]
        event.add("summary", f"[{meeting.tlp}] {operations.title_of(meeting)}")
        event.add("description", "\n".join(lines))
    else:
        summary = _("EMISA meeting of %(group)s", group=meeting.group.name)
        event.add("summary", f"[{meeting.tlp}] {summary}")
        only_here = _("Details on EMISA only: %(link)s", link=link)
        event.add(
            "description",
            "\n".join(
                [f"{meeting.tlp}", _("When: %(when)s", when=_when(meeting, zone)), only_here]
            ),
        )
    return event


def calendar(meetings: Iterable[Meeting], *, detailed: bool, name: str, zone: str) -> bytes:
    """The meetings as iCalendar, its texts in the current locale, times named in ``zone``."""
    cal = Calendar()
    cal.add("prodid", "-//EMISA//Meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for meeting in meetings:
        cal.add_component(_event(meeting, detailed=detailed, zone=zone))
    return cal.to_ical()
