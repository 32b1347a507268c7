"""The restore drill: back up a running platform, restore it elsewhere, read everything back."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from emisa.crypto.master import parse_key_set
from tests.backup.conftest import (
    CANARIES,
    CHAT_TEXT,
    DOCUMENT,
    THREAD_BODY,
    Writer,
    postgres_url,
    run,
    served,
    sign_in,
)
from tests.conftest import bearer
from tests.meetings.conftest import Peer


def read_back(target, seeded, reply_ids: list[int]) -> None:
    """Everything the drill wrote reads on ``target`` through the API and Socket.IO."""
    client = target.test_client()
    token = sign_in(target, seeded.member)
    content = client.get(f"/api/v1/documents/{seeded.document_id}/content", headers=bearer(token))
    assert content.status_code == 200 and content.data == DOCUMENT
    thread = client.get(f"/api/v1/threads/{seeded.thread_id}", headers=bearer(token))
    assert thread.status_code == 200
    posts = thread.get_json()["posts"]
    assert THREAD_BODY in posts[0]["body_html"]
    assert [p["id"] for p in posts[1:]] == reply_ids
    assert all(f"live reply {n}" in p["body_html"] for n, p in enumerate(posts[1:], start=1))
    with served(target) as url:
        peer = Peer(url, token=sign_in(target, seeded.coordinator))
        try:
            joined = peer.join(seeded.meeting_id)
            assert joined["ok"], joined
            assert [m["text"] for m in joined["history"]] == [CHAT_TEXT]
        finally:
            peer.close()


def backup_files(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def test_restore_drill_backup_under_load_restores_everything(
    app, app_config, tmp_path, seeded, empty_platform
):
    writer = Writer(app, seeded.member, seeded.thread_id)
    before_backup = writer.wait_for(3)
    made = run(app, "backup", "--to", str(tmp_path / "backup"))
    # The writer kept going through the backup and after it.
    writer.wait_for(len(writer.acknowledged) + 3)
    written = writer.stop()
    assert made.exit_code == 0, made.output
    assert "holds no master key" in made.output

    verified = run(app, "backup", "--verify", str(tmp_path / "backup"))
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output

    target = empty_platform()
    restored = run(target, "restore", "--from", str(tmp_path / "backup"))
    assert restored.exit_code == 0, restored.output
    assert "audit log intact" in restored.output

    # The snapshot is one instant: the replies acknowledged before it started, then
    # perhaps some of those written while it ran, in order, and nothing half there.
    with target.app_context():
        from emisa.discussions.models import Post
        from emisa.extensions import db

        kept = sorted(db.session.scalars(db.select(Post.id)).all())[1:]
    assert kept == written[: len(kept)] and len(kept) >= before_backup
    read_back(target, seeded, kept)

    fsck = run(target, "fsck")
    assert fsck.exit_code == 0, fsck.output
    assert "1 document version(s) checked, 0 damaged or missing, 0 orphan" in fsck.output
    audit = run(target, "audit-verify")
    assert audit.exit_code == 0 and "audit log intact" in audit.output, audit.output


def test_backup_holds_neither_the_master_key_nor_plaintext(app, app_config, tmp_path, seeded):
    assert run(app, "backup", "--to", str(tmp_path / "backup")).exit_code == 0
    key_file = Path(app_config["EMISA_DATA_DIR"]) / "master-keys.json"
    _current, keys = parse_key_set(key_file.read_text(), "key file")
    secrets = [key for key in keys.values()] + [base64.b64encode(k) for k in keys.values()]
    for path in backup_files(tmp_path / "backup"):
        data = path.read_bytes()
        assert path.name != "master-keys.json"
        for needle in (*CANARIES, *secrets):
            assert needle not in data, f"{needle!r} found in {path}"


def test_verify_finds_a_flipped_byte_a_missing_and_an_extra_file(app, tmp_path, seeded):
    backup = tmp_path / "backup"
    assert run(app, "backup", "--to", str(backup)).exit_code == 0
    blob = next(p for p in backup_files(backup) if "blobs" in p.parts)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    flipped = run(app, "backup", "--verify", str(backup))
    assert flipped.exit_code == 1
    relative = blob.relative_to(backup).as_posix()
    assert f"{relative}: SHA-256 differs from the manifest" in flipped.output

    (backup / "database.sqlite3").unlink()
    (backup / "planted.txt").write_text("not from the platform")
    both = run(app, "backup", "--verify", str(backup))
    assert both.exit_code == 1
    assert "database.sqlite3: missing" in both.output
    assert "planted.txt: not listed in the manifest" in both.output

    (backup / "manifest.json").unlink()
    gone = run(app, "backup", "--verify", str(backup))
    assert gone.exit_code == 1 and "has no manifest.json" in gone.output


def test_a_damaged_backup_is_not_restored(app, tmp_path, seeded, empty_platform):
    backup = tmp_path / "backup"
    assert run(app, "backup", "--to", str(backup)).exit_code == 0
    sealed = backup / "secret.sealed"
    sealed.write_bytes(sealed.read_bytes()[:-1] + b"\x00")
    target = empty_platform()
    refused = run(target, "restore", "--from", str(backup))
    assert refused.exit_code == 1 and "secret.sealed" in refused.output
    assert_still_empty(target)


def assert_still_empty(target) -> None:
    from emisa.backup.snapshot import tables_holding_rows
    from emisa.extensions import db
    from emisa.storage import blobs

    with target.app_context(), db.engine.connect() as connection:
        assert tables_holding_rows(connection) == []
        assert list(blobs.iter_blob_ids()) == []


def test_restore_refuses_a_target_that_holds_data(app, tmp_path, seeded, empty_platform):
    backup = tmp_path / "backup"
    assert run(app, "backup", "--to", str(backup)).exit_code == 0
    target = empty_platform()
    assert run(target, "restore", "--from", str(backup)).exit_code == 0
    again = run(target, "restore", "--from", str(backup))
    assert again.exit_code == 1
    assert "the database is not empty" in again.output
    assert "restore into an empty database" in again.output
    # The platform restored first is untouched: its audit log still verifies.
    assert run(target, "audit-verify").exit_code == 0

    # Over the live platform itself, too.
    over_live = run(app, "restore", "--from", str(backup))
    assert over_live.exit_code == 1 and "the database is not empty" in over_live.output


def test_restore_needs_the_master_key_that_opens_the_backup(app, tmp_path, seeded, empty_platform):
    backup = tmp_path / "backup"
    assert run(app, "backup", "--to", str(backup)).exit_code == 0

    keyless = empty_platform(key_from=None)
    refused = run(keyless, "restore", "--from", str(backup))
    assert refused.exit_code == 1
    assert "no master key is installed" in refused.output
    assert "master-key recover" in refused.output
    assert not (Path(keyless.config["EMISA_DATA_DIR"]) / "master-keys.json").exists()

    another_key = tmp_path / "another-key"
    another_key.mkdir()
    key = base64.b64encode(os.urandom(32)).decode()
    (another_key / "master-keys.json").write_text(json.dumps({"current": 1, "keys": {"1": key}}))
    (another_key / "master-keys.json").chmod(0o600)
    wrong = empty_platform(key_from=another_key)
    refused = run(wrong, "restore", "--from", str(backup))
    assert refused.exit_code == 1
    assert "the installed master key does not open this backup" in refused.output
    assert_still_empty(wrong)


def test_backup_refuses_a_destination_that_holds_files(app, tmp_path):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("someone's file")
    refused = run(app, "backup", "--to", str(occupied))
    assert refused.exit_code == 1 and "is not an empty directory" in refused.output
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]
    neither = run(app, "backup")
    assert neither.exit_code == 1 and "exactly one of --to PATH" in neither.output


@pytest.mark.postgresql
def test_an_embedded_pilot_moves_from_sqlite_to_postgresql(
    app_config, tmp_path, empty_platform, request
):
    """The source is SQLite whatever the run's engine; the target is PostgreSQL."""
    target_url = postgres_url("to_postgresql")
    app_config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'pilot.db'}"
    seeded = request.getfixturevalue("seeded")
    app = request.getfixturevalue("app")
    backup = tmp_path / "backup"
    assert run(app, "backup", "--to", str(backup)).exit_code == 0
    target = empty_platform(target_url)
    restored = run(target, "restore", "--from", str(backup))
    assert restored.exit_code == 0, restored.output
    read_back(target, seeded, [])
    assert run(target, "audit-verify").exit_code == 0
    assert run(target, "fsck").exit_code == 0
    # New rows continue after the restored ids (the sequences were moved on).
    token = sign_in(target, seeded.member)
    reply = target.test_client().post(
        f"/api/v1/threads/{seeded.thread_id}/posts",
        json={"body": "after the move"},
        headers=bearer(token),
    )
    assert reply.status_code == 201, reply.get_json()


def test_a_document_deleted_while_its_file_is_copied_restarts_the_backup(
    app, tmp_path, seeded, monkeypatch
):
    """The snapshot names a file that is gone by the time it is copied (its document was
    deleted just after the snapshot): the backup starts again from a new snapshot rather
    than keep a row without its file."""
    from emisa.storage import BlobNotFound, blobs

    with app.app_context():
        store = blobs.store
    real_open = store.open_reader
    vanished = []

    def open_reader(blob_id):
        if not vanished:
            vanished.append(blob_id)
            raise BlobNotFound(blob_id)
        return real_open(blob_id)

    monkeypatch.setattr(store, "open_reader", open_reader)
    made = run(app, "backup", "--to", str(tmp_path / "backup"))
    assert made.exit_code == 0, made.output
    assert vanished, "the copy never found a missing file"
    assert run(app, "backup", "--verify", str(tmp_path / "backup")).exit_code == 0
    assert [p.name for p in tmp_path.iterdir() if ".partial-" in p.name] == []
