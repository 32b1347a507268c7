"""Size limit (413) and group quota (409): a clear message and nothing half-stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from emisa.documents.models import Document
from emisa.extensions import db


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EMISA_MAX_UPLOAD_BYTES": 200_000, "EMISA_GROUP_QUOTA_BYTES": 300_000}


def _nothing_stored(app, documents: int) -> None:
    files = [p for p in (app.config["EMISA_DATA_DIR"] / "blobs").rglob("*") if p.is_file()]
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == documents
    assert len(files) == documents


def test_too_large_while_streaming_is_413(app, team, upload):
    response = upload(team.member_token, team.group, b"x" * 200_001)
    assert response.status_code == 413
    assert "maximum upload size" in response.get_json()["error"]["message"]
    _nothing_stored(app, 0)
    assert upload(team.member_token, team.group, b"x" * 200_000).status_code == 201


def test_too_large_by_declared_length_is_413(app, team, upload):
    response = upload(team.member_token, team.group, b"x" * 400_000)
    assert response.status_code == 413
    _nothing_stored(app, 0)


def test_quota_is_409(app, team, upload):
    assert upload(team.member_token, team.group, b"a" * 150_000).status_code == 201
    assert upload(team.member_token, team.group, b"b" * 100_000).status_code == 201
    response = upload(team.member_token, team.group, b"c" * 100_000)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "quota_exceeded"
    assert "quota" in response.get_json()["error"]["message"]
    _nothing_stored(app, 2)
