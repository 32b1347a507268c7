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
from icalendar import Calendar, Event

from emisa.access.markings import parse_tlp
from emisa.meetings import operations
from emisa.meetings.models import Meeting
from emisa.timeutil import utcnow


def base_url() -> str:
    configured = current_app.config.get("EMISA_BASE_URL")
    return (configured or request.host_url).rstrip("/")


def _event(meeting: Meeting, *, detailed: bool) -> Event:
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
    event.add("location", f"EMISA online meeting room: {link}/room")
    if detailed or shareable:
        agenda = operations.agenda_of(meeting)
        lines = [meeting.tlp, f"Working group: {meeting.group.name}"]
        if agenda:
            lines += ["", "Agenda:"] + [f"{n}. {item}" for n, item in enumerate(agenda, 1)]
        lines += ["", f"Details and room: {link}"]
        event.add("summary", f"[{meeting.tlp}] {operations.title_of(meeting)}")
        event.add("description", "\n".join(lines))
    else:
        event.add("summary", f"[{meeting.tlp}] EMISA meeting of {meeting.group.name}")
        event.add("description", f"{meeting.tlp}: details on EMISA only. {link}")
    return event


def calendar(meetings: Iterable[Meeting], *, detailed: bool, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//EMISA//Meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for meeting in meetings:
        cal.add_component(_event(meeting, detailed=detailed))
    return cal.to_ical()
