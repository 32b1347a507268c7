"""A Socket.IO event is one unit of work: refused half-way, it keeps nothing and says why."""

from __future__ import annotations

from emisa.extensions import socketio
from emisa.meetings.events import MeetingNamespace, room_event
from tests.meetings.conftest import NS
from tests.test_boundary import STANDALONE, _half_way, _stored


def test_an_event_refused_half_way_keeps_nothing_and_acks_the_refusal(
    app, client, cast, login, monkeypatch
):
    def on_half_way(self, turn, data):
        _half_way("socket")

    monkeypatch.setattr(
        MeetingNamespace, "on_half_way", room_event(None)(on_half_way), raising=False
    )
    _group, people = cast
    login(client, people["ann"])
    ann = socketio.test_client(app, namespace=NS, flask_test_client=client)
    answer = ann.emit("half_way", {}, namespace=NS, callback=True)
    assert answer == {"ok": False, "error": "Refused half-way.", "status": 409}
    stored, actions = _stored(app, "socket")
    assert not stored
    assert "test.term_added" not in actions and STANDALONE in actions
    ann.disconnect(NS)
