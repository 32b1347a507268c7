"""A full disk during an upload: a clear error, nothing half-stored, reads keep working."""

from __future__ import annotations

import io
import os
import subprocess

import pytest

from tests.access.world import api_sign_in
from tests.backup.conftest import run
from tests.conftest import bearer

DISK_BYTES = 3 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path, app_config):
    """The data directory on a 3 MiB tmpfs the test mounts (the machine runs tests as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=0700", "tmpfs", str(mount)],
        check=True,
    )
    app_config["EMISA_DATA_DIR"] = mount
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def free_bytes(path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def upload(client, token, group, data: bytes):
    return client.post(
        f"/api/v1/groups/{group}/documents",
        data={
            "title": "Wiretap transcript",
            "tlp": "TLP:AMBER",
            "file": (io.BytesIO(data), "t.bin"),
        },
        headers=bearer(token),
        content_type="multipart/form-data",
    )


def test_an_upload_that_fills_the_disk_is_refused_whole(small_disk, request):
    app = request.getfixturevalue("app")
    make_user, make_group = (
        request.getfixturevalue("make_user"),
        request.getfixturevalue("make_group"),
    )
    member = make_user()
    group = make_group(members={member: "member"})
    token = api_sign_in(app, member)
    client = app.test_client()
    first = os.urandom(200 * 1024)
    kept = upload(client, token, group, first)
    assert kept.status_code == 201, kept.get_json()
    free_before = free_bytes(small_disk)

    refused = upload(client, token, group, os.urandom(2 * DISK_BYTES))
    assert refused.status_code == 507
    error = refused.get_json()["error"]
    assert error["code"] == "storage_full"
    assert "no room left" in error["message"] and "nothing was stored" in error["message"]

    # Nothing half-stored: no temp file, no blob, no row; the space is free again.
    blobs_dir = small_disk / "blobs"
    assert [p.name for p in blobs_dir.rglob(".tmp-*")] == []
    assert len([p for p in blobs_dir.rglob("*") if p.is_file()]) == 1
    assert free_bytes(small_disk) >= free_before - 64 * 1024
    listed = client.get(f"/api/v1/groups/{group}/documents", headers=bearer(token)).get_json()
    assert [d["id"] for d in listed] == [kept.get_json()["id"]]

    # Reads keep working, and so do uploads that fit.
    content = client.get(f"/api/v1/documents/{listed[0]['id']}/content", headers=bearer(token))
    assert content.status_code == 200 and content.data == first
    assert upload(client, token, group, os.urandom(100 * 1024)).status_code == 201
    fsck = run(app, "fsck", "--min-age", "0")
    assert fsck.exit_code == 0 and "0 orphan blob(s), 0 orphan temp file(s)" in fsck.output
