"""Damaged files give a clear error, never content; fsck finds orphans and damage."""

from __future__ import annotations

import os

from sqlalchemy import select

from emisa.audit.models import AuditEntry
from emisa.documents.models import DocumentVersion
from emisa.extensions import db
from emisa.storage.local import TEMP_PREFIX
from tests.conftest import bearer


def _blob_path(app, document_id):
    with app.app_context():
        blob_id = db.session.scalar(
            select(DocumentVersion.blob_id).where(DocumentVersion.document_id == document_id)
        )
    return app.config["EMISA_DATA_DIR"] / "blobs" / blob_id[:2] / blob_id


def test_flipped_byte_gives_clear_error_audit_and_fsck_report(
    app, team, upload, client, login, runner
):
    for size in (1000, 9 * 1024 * 1024):
        data = os.urandom(size)
        document_id = upload(team.member_token, team.group, data).get_json()["id"]
        path = _blob_path(app, document_id)
        raw = bytearray(path.read_bytes())
        raw[len(raw) - 100] ^= 0x01
        path.write_bytes(bytes(raw))

        got = client.get(
            f"/api/v1/documents/{document_id}/content", headers=bearer(team.member_token)
        )
        assert got.status_code == 500
        assert got.get_json()["error"]["code"] == "integrity_failure"
        assert data[:64] not in got.data

    login(client, team.member)
    page = client.get(f"/documents/{document_id}/content")
    assert page.status_code == 500
    assert b"integrity check" in page.data
    assert page.headers["Content-Type"].startswith("text/html")

    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "document.integrity_failure")
        ).all()
    assert len(actions) >= 3

    result = runner.invoke(args=["emisa", "fsck"])
    assert result.exit_code == 1
    assert "fails authentication" in result.output


def test_fsck_repairs_orphans_of_interrupted_uploads(app, team, upload, runner):
    data = b"keep me"
    document_id = upload(team.member_token, team.group, data).get_json()["id"]
    root = app.config["EMISA_DATA_DIR"] / "blobs"
    (root / "ab").mkdir(exist_ok=True)
    orphan = root / "ab" / ("ab" + "0" * 30)
    orphan.write_bytes(b"ciphertext of an upload whose row never committed")
    temp = root / "ab" / f"{TEMP_PREFIX}{'ab' + '1' * 30}-dead"
    temp.write_bytes(b"half an upload")

    result = runner.invoke(args=["emisa", "fsck", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    assert "orphan blob" in result.output and "orphan temp file" in result.output
    assert orphan.exists() and temp.exists()

    result = runner.invoke(args=["emisa", "fsck", "--repair", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    assert not orphan.exists() and not temp.exists()
    assert _blob_path(app, document_id).exists()

    # A missing blob is reported.
    _blob_path(app, document_id).unlink()
    result = runner.invoke(args=["emisa", "fsck"])
    assert result.exit_code == 1 and "blob missing" in result.output


def test_fsck_reports_a_group_key_the_master_key_no_longer_opens(app, team, upload, runner):
    import sqlalchemy as sa

    from emisa.crypto.models import GroupKey

    upload(team.member_token, team.group, b"sealed under the group key")
    assert runner.invoke(args=["emisa", "fsck"]).exit_code == 0
    with app.app_context():
        row = db.session.scalar(select(GroupKey).where(GroupKey.group_id == team.group))
        tampered = bytearray(row.wrapped_key)
        tampered[20] ^= 1
        db.session.execute(
            sa.update(GroupKey).where(GroupKey.id == row.id).values(wrapped_key=bytes(tampered))
        )
        db.session.commit()

    result = runner.invoke(args=["emisa", "fsck"])
    assert result.exit_code == 1
    assert f"group {team.group} key version 1: wrapped key" in result.output
    assert "1 group key problem(s)" in result.output
