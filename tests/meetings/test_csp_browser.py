"""CSP ``connect-src 'self'``: the meeting room still connects over same-origin WebSocket."""

from __future__ import annotations

import pytest
import requests

from tests.meetings.conftest import enter_room

pytestmark = pytest.mark.browser


def test_the_room_connects_by_websocket_under_connect_src_self(
    app, live_server, page, make_user, make_group, make_meeting
):
    policy = requests.get(f"{live_server}/login", timeout=10).headers["Content-Security-Policy"]
    assert "connect-src 'self';" in policy + ";"
    assert "ws:" not in policy and "wss:" not in policy
    chair = make_user(name="Chair Lisbon", country="PT")
    group = make_group(members={chair: "coordinator"})
    meeting = make_meeting(group, by=chair, title="Weekly coordination")
    sockets, violations = [], []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    enter_room(page, live_server, chair, app, meeting)
    page.wait_for_selector("#people li:has-text('Chair Lisbon')")
    assert any(url.startswith(live_server.replace("http", "ws", 1)) for url in sockets), sockets
    assert violations == []
