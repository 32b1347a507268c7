"""Online meetings of working groups: scheduling, calendars and the live room."""

from __future__ import annotations

from functools import partial

from flask import Flask
from flask_babel import lazy_gettext as _l

from emisa.realtime import ResilientRedisManager


def init_app(app: Flask) -> None:
    from emisa.api import register_api_blueprint
    from emisa.extensions import socketio
    from emisa.groups.tabs import register_tab
    from emisa.meetings import api, events, revocation, views
    from emisa.meetings.models import Meeting
    from emisa.notifications.operations import register_item
    from emisa.ui import register_nav

    app.register_blueprint(views.bp)
    register_api_blueprint(api.blp)
    register_tab("meetings.group_meetings", _l("Meetings"))
    register_nav("meetings.index", _l("Meetings"))
    # create_app made a new Socket.IO server for this app: give it its own namespace instance.
    socketio.on_namespace(events.MeetingNamespace(events.NAMESPACE))
    app.extensions[events.SERVER_KEY] = socketio.server
    manager = socketio.server.manager
    if isinstance(manager, ResilientRedisManager):
        manager.listeners.append(partial(events.live_updates_changed, socketio.server))
    revocation.connect_signals()
    register_item("meeting", Meeting, "view")
