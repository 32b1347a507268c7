"""The group's stored-bytes counter: kept exact by every upload, new version and deletion,
also when uploads race in several processes, refused at the quota's exact byte, and
checked and repaired by ``fsck``. (Unmarked: runs in the SQLite and the PostgreSQL pass.)"""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from emisa.documents.operations import group_usage, summed_usage
from emisa.extensions import db
from emisa.groups.models import WorkingGroup
from tests.conftest import bearer, free_port, start_server, stop_server

QUOTA = 300_000


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EMISA_MAX_UPLOAD_BYTES": 200_000, "EMISA_GROUP_QUOTA_BYTES": QUOTA}


def _counted(app, group_id: int) -> tuple[int, int]:
    """(the counter, the sum of the group's versions)."""
    with app.app_context():
        return group_usage(group_id), summed_usage(group_id)[group_id]


def test_counter_follows_uploads_versions_and_deletions(app, team, upload, client):
    first = upload(team.member_token, team.group, b"a" * 1000).get_json()["id"]
    assert upload(team.member_token, team.group, b"b" * 2500).status_code == 201
    assert _counted(app, team.group) == (3500, 3500)
    added = client.post(
        f"/api/v1/documents/{first}/versions",
        data={"file": (io.BytesIO(b"c" * 400), "v2.pdf")},
        headers=bearer(team.member_token),
        content_type="multipart/form-data",
    )
    assert added.status_code == 201, added.get_json()
    assert _counted(app, team.group) == (3900, 3900)
    deleted = client.delete(f"/api/v1/documents/{first}", headers=bearer(team.coordinator_token))
    assert deleted.status_code == 204
    assert _counted(app, team.group) == (2500, 2500)
    too_large = upload(team.member_token, team.group, b"x" * 200_001)
    assert too_large.status_code == 413  # refused: nothing counted
    assert _counted(app, team.group) == (2500, 2500)


def test_quota_refuses_at_the_exact_byte(app, team, upload):
    assert upload(team.member_token, team.group, b"a" * 150_000).status_code == 201
    assert upload(team.member_token, team.group, b"b" * (QUOTA - 150_000)).status_code == 201
    assert _counted(app, team.group) == (QUOTA, QUOTA)
    refused = upload(team.member_token, team.group, b"c")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "quota_exceeded"
    assert _counted(app, team.group) == (QUOTA, QUOTA)


def test_quota_refuses_one_byte_over_it(app, team, upload):
    assert upload(team.member_token, team.group, b"a" * 150_000).status_code == 201
    over = upload(team.member_token, team.group, b"b" * (QUOTA - 150_000 + 1))
    assert over.status_code == 409
    assert _counted(app, team.group) == (150_000, 150_000)


def test_concurrent_uploads_in_two_processes_keep_the_counter_exact(app, app_config, team):
    """Eight uploads at once, four through each of two real servers on one database; the
    quota has room for five of them: five land, three are refused, the counter is exact."""
    size = 50_000
    quota = 5 * size
    env = {"EMISA_GROUP_QUOTA_BYTES": str(quota), "EMISA_MAX_UPLOAD_BYTES": "200000"}
    servers = [(port, start_server(app_config, port, env)) for port in (free_port(), free_port())]
    try:

        def send(index: int) -> int:
            port = servers[index % 2][0]
            return requests.post(
                f"http://127.0.0.1:{port}/api/v1/groups/{team.group}/documents",
                data={"title": f"Race {index}", "tlp": "TLP:AMBER"},
                files={"file": (f"race{index}.bin", os.urandom(size))},
                headers=bearer(team.member_token),
                timeout=120,
            ).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = sorted(pool.map(send, range(8)))
    finally:
        for _port, process in servers:
            stop_server(process)
    assert statuses == [201] * 5 + [409] * 3
    assert _counted(app, team.group) == (quota, quota)


def test_fsck_reports_a_wrong_counter_and_repairs_it(app, team, upload, runner):
    assert upload(team.member_token, team.group, b"a" * 1234).status_code == 201
    assert runner.invoke(args=["emisa", "fsck"]).exit_code == 0
    with app.app_context():
        db.session.execute(
            sa.update(WorkingGroup).where(WorkingGroup.id == team.group).values(stored_bytes=7)
        )
        db.session.commit()
    result = runner.invoke(args=["emisa", "fsck"])
    assert result.exit_code == 1
    assert f"group {team.group}: storage counter 7 bytes, versions hold 1234" in result.output
    repaired = runner.invoke(args=["emisa", "fsck", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "repaired" in repaired.output
    assert _counted(app, team.group) == (1234, 1234)
    assert runner.invoke(args=["emisa", "fsck"]).exit_code == 0


def test_migration_fills_the_counter_from_the_stored_versions(app, team, upload):
    """Down past the counter and up again: the group's documents are kept and the counter
    is filled from their versions."""
    from flask_migrate import downgrade, upgrade

    from emisa.database import MIGRATIONS_DIR

    assert upload(team.member_token, team.group, b"a" * 777).status_code == 201
    assert upload(team.member_token, team.group, b"b" * 223).status_code == 201
    with app.app_context():
        db.session.remove()
        downgrade(directory=MIGRATIONS_DIR, revision="account_language")
        upgrade(directory=MIGRATIONS_DIR)
        db.session.remove()
    assert _counted(app, team.group) == (1000, 1000)
