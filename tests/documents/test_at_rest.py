"""Nothing readable at rest; rotation and restarts keep files readable; shredding destroys them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from emisa import create_app
from emisa.crypto import keyring
from emisa.crypto.errors import KeyUnavailable
from emisa.documents.models import DocumentVersion
from emisa.extensions import db
from tests.conftest import bearer

CANARY = "CANARY-7f3a9c-Ωmega"


def _all_bytes(paths) -> list[tuple[Path, bytes]]:
    found = []
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            found.append((path, path.read_bytes()))
    return found


def test_canary_is_nowhere_at_rest(app, app_config, team, upload, client):
    content = (f"start {CANARY} " * 5000 + CANARY).encode()
    response = upload(
        team.member_token,
        team.group,
        content,
        filename=f"{CANARY}.txt",
        title=f"Title {CANARY}",
        description=f"About {CANARY}",
        tags=CANARY.lower(),
        handling_code="H3",
        handling_conditions=f"Only with {CANARY}",
    )
    assert response.status_code == 201
    document_id = response.get_json()["id"]
    got = client.get(f"/api/v1/documents/{document_id}", headers=bearer(team.member_token))
    assert got.get_json()["title"] == f"Title {CANARY}"
    places = [app_config["EMISA_DATA_DIR"]]
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        database = Path(url.removeprefix("sqlite:///"))
        places += [p for p in database.parent.glob(database.name + "*")]
    needles = [CANARY.encode(), CANARY.lower().encode(), CANARY.encode("utf-16-le")]
    needles.append(hashlib.sha256(content).hexdigest().encode())
    for path, data in _all_bytes(places):
        for needle in needles:
            assert needle not in data, f"{needle!r} found in {path}"


def _download_all(app, ids_and_data, token):
    client = app.test_client()
    for document_id, data in ids_and_data:
        got = client.get(f"/api/v1/documents/{document_id}/content", headers=bearer(token))
        assert got.status_code == 200, got.get_json()
        assert got.data == data


def _blob_digests(app) -> dict[str, str]:
    root = app.config["EMISA_DATA_DIR"] / "blobs"
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def test_rotation_and_restart_keep_everything_readable(app, app_config, team, upload, runner):
    docs = []
    for size in (0, 70_000, 200_000):
        data = os.urandom(size)
        docs.append((upload(team.member_token, team.group, data).get_json()["id"], data))
    before = _blob_digests(app)

    result = runner.invoke(args=["emisa", "rotate-group-key", "--group", str(team.group)])
    assert result.exit_code == 0, result.output
    _download_all(app, docs, team.member_token)
    with app.app_context():
        versions = db.session.scalars(select(DocumentVersion)).all()
        assert {v.key_version for v in versions} == {2}

    result = runner.invoke(args=["emisa", "rotate-master-key"])
    assert result.exit_code == 0, result.output
    assert _blob_digests(app) == before, "no file may be re-encrypted"

    restarted = create_app(app_config)
    _download_all(restarted, docs, team.member_token)
    with restarted.app_context():
        db.engine.dispose()


def test_shredded_group_files_cannot_be_decrypted(app, team, upload, client):
    data = b"to be shredded " * 1000
    document_id = upload(team.member_token, team.group, data).get_json()["id"]
    with app.app_context():
        version = db.session.scalar(select(DocumentVersion))
        wrapped, aad, blob_id = version.wrapped_key, version.key_aad, version.blob_id
    blob_path = next(p for p in (app.config["EMISA_DATA_DIR"] / "blobs").rglob(blob_id))
    stolen_blob = blob_path.read_bytes()

    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.groups.models import WorkingGroup
    from emisa.groups.operations import delete_group

    with app.test_request_context():
        group = db.session.get(WorkingGroup, team.group)
        delete_group(group, group.name, by=db.session.get(User, team.coordinator.id))
        commit()

    assert not blob_path.exists()
    assert (
        client.get(
            f"/api/v1/documents/{document_id}/content", headers=bearer(team.member_token)
        ).status_code
        == 404
    )
    # Even a copy of the wrapped key (an old backup) and of the blob are useless now.
    with app.app_context(), pytest.raises(KeyUnavailable):
        keyring.unwrap_data_key(team.group, wrapped, aad)
    assert data[:15] not in stolen_blob
