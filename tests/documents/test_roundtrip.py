"""Uploads and downloads through HTTP give back the exact bytes, at every segment boundary."""

from __future__ import annotations

import hashlib
import os

import pytest

from tests.conftest import bearer

SEGMENT = 64 * 1024


@pytest.mark.parametrize(
    "size",
    [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 10 * 1024 * 1024],
    ids=["0B", "1B", "64KiB-1", "64KiB", "64KiB+1", "10MiB"],
)
def test_round_trip_exact_bytes(team, upload, download, size):
    data = os.urandom(size)
    response = upload(team.member_token, team.group, data, filename="evidence.bin")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["size"] == size
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["version"] == 1

    got = download(team.coordinator_token, body["id"])
    assert got.status_code == 200
    assert got.data == data
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert int(got.headers["Content-Length"]) == size


def test_versions_keep_every_version(team, upload, download, client):
    first = upload(team.member_token, team.group, b"version one").get_json()
    response = client.post(
        f"/api/v1/documents/{first['id']}/versions",
        data={"file": (__import__("io").BytesIO(b"version two!"), "v2.txt")},
        headers=bearer(team.coordinator_token),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 2
    meta = client.get(f"/api/v1/documents/{first['id']}", headers=bearer(team.member_token))
    versions = meta.get_json()["versions"]
    assert [(v["number"], v["size"], v["filename"]) for v in versions] == [
        (1, 11, "report.pdf"),
        (2, 12, "v2.txt"),
    ]
    assert versions[1]["uploader"]["id"] == team.coordinator.id
    assert download(team.member_token, first["id"]).data == b"version two!"
    assert download(team.member_token, first["id"], version=1).data == b"version one"
    assert download(team.member_token, first["id"], version=9).status_code == 404


def test_unicode_file_name_gets_a_safe_disposition(team, upload, download):
    doc = upload(team.member_token, team.group, b"x", filename='../../évidence "1";\r\n.txt')
    got = download(team.member_token, doc.get_json()["id"])
    disposition = got.headers["Content-Disposition"]
    assert (
        "\r" not in disposition
        and "\n" not in disposition
        and "/" not in disposition.split("filename*")[0]
    )
    assert "filename*=UTF-8''" in disposition
    assert "..%2F" not in disposition
