"""Online meetings of working groups: scheduling, calendars and the live room."""

from __future__ import annotations

import os
from functools import partial

from flask import Flask

from emisa.realtime import ResilientRedisManager
from emisa.settings import ConfigurationError


def chat_rate(value: str | None) -> tuple[int, int]:
    """``EMISA_MEETING_CHAT_RATE`` as "COUNT/SECONDS" (default 10 messages per 10 seconds)."""
    if not value:
        return (10, 10)
    try:
        count, seconds = (int(part) for part in value.split("/"))
    except ValueError:
        raise ConfigurationError("EMISA_MEETING_CHAT_RATE must look like 10/10.") from None
    if count < 1 or seconds < 1:
        raise ConfigurationError("EMISA_MEETING_CHAT_RATE needs positive numbers.")
    return (count, seconds)


def init_app(app: Flask) -> None:
    from emisa.api import register_api_blueprint
    from emisa.extensions import socketio
    from emisa.groups.tabs import register_tab
    from emisa.meetings import api, events, revocation, views
    from emisa.ui import register_nav

    app.config.setdefault(
        "EMISA_MEETING_CHAT_RATE", chat_rate(os.environ.get("EMISA_MEETING_CHAT_RATE"))
    )
    # How often each process re-checks its live connections for rights that ended by time.
    app.config.setdefault("EMISA_MEETING_RECHECK_SECONDS", 15)
    app.config.setdefault("EMISA_TURN_SECRET", os.environ.get("EMISA_TURN_SECRET") or None)
    app.register_blueprint(views.bp)
    register_api_blueprint(api.blp)
    register_tab("meetings.group_meetings", "Meetings")
    register_nav("meetings.index", "Meetings")
    # create_app made a new Socket.IO server for this app: give it its own namespace instance.
    socketio.on_namespace(events.MeetingNamespace(events.NAMESPACE))
    app.extensions[events.SERVER_KEY] = socketio.server
    manager = socketio.server.manager
    if isinstance(manager, ResilientRedisManager):
        manager.listeners.append(partial(events.live_updates_changed, socketio.server))
    revocation.connect_signals()
