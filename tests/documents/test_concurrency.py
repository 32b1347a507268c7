"""Eight uploads at once against the real server (gunicorn threads) all land intact."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import requests


def test_eight_concurrent_uploads_land_intact(live_server, team):
    payloads = [os.urandom(300_000 + i * 70_001) for i in range(8)]
    headers = {"Authorization": f"Bearer {team.member_token}"}

    def send(index: int):
        response = requests.post(
            f"{live_server}/api/v1/groups/{team.group}/documents",
            data={"title": f"Concurrent {index}", "tlp": "TLP:AMBER"},
            files={"file": (f"file{index}.bin", payloads[index])},
            headers=headers,
            timeout=120,
        )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(8)))
    assert [status for status, _ in results] == [201] * 8, results
    for index, (_status, body) in enumerate(results):
        assert body["sha256"] == hashlib.sha256(payloads[index]).hexdigest()
        got = requests.get(
            f"{live_server}/api/v1/documents/{body['id']}/content", headers=headers, timeout=60
        )
        assert got.status_code == 200
        assert got.content == payloads[index]
