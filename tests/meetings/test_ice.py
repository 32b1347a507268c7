"""ICE servers: configured STUN/TURN, with short-lived signed TURN credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import time

import pytest


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "EMISA_ICE_SERVERS": [
            {"urls": "stun:turn.example.org:3478"},
            {"urls": ["turns:turn.example.org:443?transport=tcp"]},
        ],
        "EMISA_TURN_SECRET": "shared-coturn-secret",
    }


def test_room_page_hands_out_signed_short_lived_turn_credentials(
    client, login, make_user, make_group, make_meeting
):
    chair = make_user()
    group = make_group(members={chair: "coordinator"})
    meeting = make_meeting(group, by=chair)
    login(client, chair)
    page = client.get(f"/meetings/{meeting}/room").get_data(as_text=True)
    servers = json.loads(html.unescape(re.search(r'data-ice-servers="([^"]*)"', page).group(1)))
    assert servers[0] == {"urls": "stun:turn.example.org:3478"}
    turn = servers[1]
    expiry, user_id = turn["username"].split(":")
    assert int(user_id) == chair.id and 0 < int(expiry) - time.time() <= 12 * 3600
    expected = hmac.new(b"shared-coturn-secret", turn["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
    assert "shared-coturn-secret" not in page
