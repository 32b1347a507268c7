"""The keyring against a real database: group keys, fields, data keys, rotation, shredding."""

from __future__ import annotations

import base64
import json
import stat

import pytest
import sqlalchemy as sa

from emisa import create_app
from emisa.cli import BoundaryGroup
from emisa.crypto import (
    IntegrityFailure,
    Keyring,
    KeyUnavailable,
    MasterKeyError,
    UnknownGroup,
    keyring,
)
from emisa.crypto import master as master_keys
from emisa.crypto.commands import register_commands
from emisa.crypto.models import GroupKey
from emisa.crypto.stream import decrypt_stream, encrypt_stream, iter_encrypted
from emisa.extensions import db
from emisa.storage import blobs, new_blob_id

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(1, 33))).decode()


@pytest.fixture
def kr(app_ctx) -> Keyring:
    """A keyring of its own (no hooks from other features), bound to the test app."""
    ring = Keyring()
    ring.init_app(app_ctx)
    return ring


@pytest.fixture
def gid(app_ctx, make_group) -> int:
    return make_group("Prison and probation")


def rows(group_id: int) -> list[GroupKey]:
    return list(
        db.session.scalars(
            sa.select(GroupKey).where(GroupKey.group_id == group_id).order_by(GroupKey.version)
        )
    )


def restart(app) -> None:
    """What a process restart loses: the session, the memo and every cached key."""
    db.session.remove()
    Keyring().init_app(app)


def test_group_key_is_created_on_first_use_flushed_not_committed(kr: Keyring, gid: int) -> None:
    handle = kr.current_group_key(gid)
    assert handle.version == 1
    assert len(handle.key) == 32
    assert kr.current_group_key(gid) == handle
    assert kr.group_key(gid, 1) == handle.key
    [row] = rows(gid)
    assert (row.version, row.master_version) == (1, 1)
    assert handle.key not in row.wrapped_key
    db.session.rollback()
    assert rows(gid) == []
    # The rolled-back key must not be reused: content sealed under it would be lost.
    again = kr.current_group_key(gid)
    assert again.version == 1
    assert again.key != handle.key


def test_fields_round_trip_and_are_bound_to_their_row(kr: Keyring, gid: int) -> None:
    blob = kr.seal_text(gid, "Radicalisation in prisons \u2013 findings", "document:1:title")
    assert blob[:4] == b"\x00\x00\x00\x01"
    assert kr.blob_version(blob) == 1
    assert (
        kr.open_text(gid, blob, "document:1:title") == "Radicalisation in prisons \u2013 findings"
    )
    with pytest.raises(IntegrityFailure):
        kr.open_text(gid, blob, "document:2:title")
    assert kr.open_bytes(gid, kr.seal_bytes(gid, b"\x00\xff", "post:3:body"), "post:3:body") == (
        b"\x00\xff"
    )
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(IntegrityFailure):
        kr.open_text(gid, bytes(tampered), "document:1:title")


def test_another_groups_key_cannot_open(kr: Keyring, gid: int, make_group) -> None:
    other = make_group("Cyber capacities")
    blob = kr.seal_text(gid, "secret", "thread:1:title")
    kr.current_group_key(other)
    with pytest.raises(IntegrityFailure):
        kr.open_text(other, blob, "thread:1:title")


def test_unknown_group(kr: Keyring) -> None:
    with pytest.raises(UnknownGroup):
        kr.current_group_key(987654)
    with pytest.raises(UnknownGroup):
        kr.rotate_group_key(987654)
    with pytest.raises(KeyUnavailable):
        kr.group_key(987654, 1)


def test_data_keys_wrap_unwrap_and_reshare(kr: Keyring, gid: int, make_group) -> None:
    other = make_group("Judicial cooperation")
    data_key, wrapped, version = kr.new_data_key(gid, "document-version:11")
    assert version == 1
    assert len(data_key) == 32
    assert len(wrapped) == 4 + 12 + 32 + 16
    assert kr.unwrap_data_key(gid, wrapped, "document-version:11") == data_key
    with pytest.raises(IntegrityFailure):
        kr.unwrap_data_key(gid, wrapped, "document-version:12")
    # A field blob cannot be passed off as a data key, even with the same aad string.
    forged = kr.seal_bytes(gid, bytes(32), "document-version:11")
    with pytest.raises(IntegrityFailure):
        kr.unwrap_data_key(gid, forged, "document-version:11")

    shared = kr.rewrap_data_key(gid, wrapped, other, "document-version:11")
    assert kr.unwrap_data_key(other, shared, "document-version:11") == data_key
    with pytest.raises(IntegrityFailure):
        kr.unwrap_data_key(gid, shared, "document-version:11")
    rebound = kr.rewrap_data_key(gid, wrapped, other, "document-version:11", new_aad="share:4")
    assert kr.unwrap_data_key(other, rebound, "share:4") == data_key


def test_file_encrypted_with_a_data_key_via_the_blob_store(app_ctx, kr: Keyring, gid: int) -> None:
    content = b"minutes of the meeting\n" * 10_000
    data_key, wrapped, _ = kr.new_data_key(gid, "document-version:1")
    blob_id = new_blob_id()
    aad = b"document:1:version:1"
    with blobs.open_writer(blob_id) as writer:
        for piece in encrypt_stream(data_key, aad, [content[:1000], content[1000:]]):
            writer.write(piece)
    db.session.commit()
    restart(app_ctx)
    key = keyring.unwrap_data_key(gid, wrapped, "document-version:1")
    with blobs.open_reader(blob_id) as handle:
        assert b"".join(decrypt_stream(key, aad, iter_encrypted(handle))) == content


def test_platform_secrets(kr: Keyring) -> None:
    blob = kr.seal_platform(b"JBSWY3DPEHPK3PXP", "totp-secret")
    assert blob[:4] == b"\x00\x00\x00\x01"
    assert kr.open_platform(blob, "totp-secret") == b"JBSWY3DPEHPK3PXP"
    with pytest.raises(IntegrityFailure):
        kr.open_platform(blob, "other-purpose")
    assert kr.reseal_platform(blob, "totp-secret") is blob


def test_key_file_is_created_on_first_use_with_mode_0600(app_ctx, kr: Keyring, gid: int) -> None:
    path = app_ctx.config["EMISA_DATA_DIR"] / master_keys.KEY_FILE_NAME
    kr.current_group_key(gid)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["current"] == 1


def test_survives_restart(app_ctx, app_config, kr: Keyring, gid: int) -> None:
    blob = kr.seal_text(gid, "kept", "post:1:body")
    db.session.commit()
    restart(app_ctx)
    assert keyring.open_text(gid, blob, "post:1:body") == "kept"
    db.session.remove()  # end our transaction: SQLite lets one writer in at a time
    # A second process on the same data directory and database.
    other = create_app(app_config)
    with other.app_context():
        assert keyring.open_text(gid, blob, "post:1:body") == "kept"
        db.session.remove()


def test_group_rotation_rewraps_through_hooks_and_destroys_old_keys(
    app_ctx, kr: Keyring, gid: int
) -> None:
    stored = {"title": kr.seal_text(gid, "Title v1", "document:5:title")}
    data_key, wrapped, _ = kr.new_data_key(gid, "document-version:5")
    stored["key"] = wrapped
    old_field = stored["title"]
    db.session.commit()

    calls = []

    @kr.on_group_key_rotation
    def rewrap(group_id: int, old_versions: list[int], new_version: int) -> None:
        calls.append((group_id, old_versions, new_version))
        stored["title"] = kr.reseal(group_id, stored["title"], "document:5:title")
        stored["key"] = kr.rewrap_data_key(group_id, stored["key"], group_id, "document-version:5")

    assert kr.rotate_group_key(gid) == 2
    assert calls == [(gid, [1], 2)]
    assert kr.current_group_key(gid).version == 2
    assert kr.blob_version(stored["title"]) == kr.blob_version(stored["key"]) == 2
    old, new = rows(gid)
    assert old.wrapped_key is None and old.retired_at is not None
    assert new.wrapped_key is not None and new.retired_at is None
    with pytest.raises(KeyUnavailable, match="retired"):
        kr.open_text(gid, old_field, "document:5:title")
    with pytest.raises(KeyUnavailable):
        kr.group_key(gid, 1)
    db.session.commit()

    restart(app_ctx)
    assert keyring.open_text(gid, stored["title"], "document:5:title") == "Title v1"
    assert keyring.unwrap_data_key(gid, stored["key"], "document-version:5") == data_key
    with pytest.raises(KeyUnavailable):
        keyring.open_text(gid, old_field, "document:5:title")


def test_failed_hook_leaves_everything_as_it_was(app_ctx, kr: Keyring, gid: int) -> None:
    blob = kr.seal_text(gid, "unchanged", "post:9:body")
    db.session.commit()

    @kr.on_group_key_rotation
    def broken(group_id: int, old_versions: list[int], new_version: int) -> None:
        raise RuntimeError("feature failed")

    with pytest.raises(RuntimeError):
        kr.rotate_group_key(gid)
    db.session.rollback()
    assert [(r.version, r.live) for r in rows(gid)] == [(1, True)]
    assert kr.current_group_key(gid).version == 1
    assert kr.open_text(gid, blob, "post:9:body") == "unchanged"


def test_rotation_in_another_process_is_seen(app_ctx, app_config, kr: Keyring, gid: int) -> None:
    blob = kr.seal_text(gid, "before", "post:1:body")
    db.session.commit()
    other = create_app(app_config)
    with other.app_context():
        assert keyring.rotate_group_key(gid) == 2
        db.session.commit()
        db.session.remove()
    # This process still caches version 1, but the database says it is gone.
    assert kr.current_group_key(gid).version == 2
    with pytest.raises(KeyUnavailable):
        kr.open_text(gid, blob, "post:1:body")


def test_master_rotation_keeps_everything_readable(
    app_ctx, app_config, kr: Keyring, gid: int, make_group
) -> None:
    second = make_group("Online propaganda")
    field = kr.seal_text(gid, "one", "post:1:body")
    other_field = kr.seal_text(second, "two", "post:2:body")
    platform = kr.seal_platform(b"seed", "totp-secret")
    group_key = kr.current_group_key(gid).key
    db.session.commit()

    seen = []
    kr.on_master_key_rotation(lambda old, new: seen.append((old, new)))
    assert kr.rotate_master_key() == 2
    db.session.commit()
    assert seen == [([1], 2)]
    assert {r.master_version for r in rows(gid) + rows(second)} == {2}

    path = app_ctx.config["EMISA_DATA_DIR"] / master_keys.KEY_FILE_NAME
    on_disk = json.loads(path.read_text())
    assert on_disk["current"] == 2
    assert sorted(on_disk["keys"]) == ["1", "2"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    restart(app_ctx)
    assert keyring.current_group_key(gid).key == group_key
    assert keyring.open_text(gid, field, "post:1:body") == "one"
    assert keyring.open_text(second, other_field, "post:2:body") == "two"
    assert keyring.open_platform(platform, "totp-secret") == b"seed"
    resealed = keyring.reseal_platform(platform, "totp-secret")
    assert resealed[:4] == b"\x00\x00\x00\x02"
    assert keyring.open_platform(resealed, "totp-secret") == b"seed"

    # Group keys wrapped by the old master key version are gone from the database.
    for row in rows(gid) + rows(second):
        with pytest.raises(IntegrityFailure):
            from emisa.crypto import aead, envelope

            old_master = base64.b64decode(on_disk["keys"]["1"])
            aead.open_sealed(
                old_master, row.wrapped_key, envelope.group_key_aad(row.group_id, row.version)
            )


def test_master_rotation_in_another_process_is_picked_up(
    app_ctx, app_config, kr: Keyring, gid: int
) -> None:
    field = kr.seal_text(gid, "x", "post:1:body")
    db.session.commit()
    other = create_app(app_config)
    with other.app_context():
        keyring.rotate_master_key()
        db.session.commit()
        db.session.remove()
    db.session.remove()
    # kr's state only knows master version 1; the row now says 2: it re-reads the file.
    assert kr.open_text(gid, field, "post:1:body") == "x"
    assert kr.current_group_key(gid).version == 1


def test_tampered_wrapped_key_is_an_integrity_failure(app_ctx, kr: Keyring, gid: int) -> None:
    blob = kr.seal_text(gid, "x", "post:1:body")
    db.session.commit()
    [row] = rows(gid)
    tampered = bytearray(row.wrapped_key)
    tampered[20] ^= 1
    db.session.execute(
        sa.update(GroupKey).where(GroupKey.id == row.id).values(wrapped_key=bytes(tampered))
    )
    db.session.commit()
    # The process cache still holds the genuine key, but it is tied to the old row bytes.
    with pytest.raises(IntegrityFailure, match="wrapped key"):
        kr.open_text(gid, blob, "post:1:body")
    with pytest.raises(IntegrityFailure):
        kr.seal_text(gid, "new", "post:2:body")
    assert kr.check_group_keys() == [
        f"group {gid} key version 1: wrapped key of group {gid} version 1 failed "
        "authentication (tampered, or not wrapped by this master key)"
    ]


def test_wrapped_key_moved_to_another_group_fails(
    app_ctx, kr: Keyring, gid: int, make_group
) -> None:
    other = make_group("Terrorism financing")
    kr.current_group_key(gid)
    kr.current_group_key(other)
    db.session.commit()
    mine, theirs = rows(gid)[0], rows(other)[0]
    theirs.wrapped_key = mine.wrapped_key
    db.session.commit()
    restart(app_ctx)
    with pytest.raises(IntegrityFailure):
        keyring.current_group_key(other)


def test_shredding(app_ctx, kr: Keyring, gid: int) -> None:
    blob = kr.seal_text(gid, "gone", "post:1:body")
    _key, wrapped, _ = kr.new_data_key(gid, "document-version:1")
    db.session.commit()
    kr.shred_group(gid)
    db.session.commit()
    assert rows(gid) == []
    with pytest.raises(KeyUnavailable):
        kr.open_text(gid, blob, "post:1:body")
    with pytest.raises(KeyUnavailable):
        kr.unwrap_data_key(gid, wrapped, "document-version:1")
    restart(app_ctx)
    with pytest.raises(KeyUnavailable):
        keyring.open_text(gid, blob, "post:1:body")


def test_deleting_the_group_shreds_its_keys(app_ctx, kr: Keyring, gid: int) -> None:
    blob = kr.seal_text(gid, "gone", "post:1:body")
    db.session.commit()
    db.session.execute(sa.text("DELETE FROM working_groups WHERE id = :id"), {"id": gid})
    db.session.commit()
    assert rows(gid) == []
    with pytest.raises(KeyUnavailable):
        kr.open_text(gid, blob, "post:1:body")


def test_concurrent_creation_uses_the_winners_key(
    app_ctx, kr: Keyring, gid: int, monkeypatch
) -> None:
    winner = kr.current_group_key(gid)
    db.session.commit()
    # Make this request believe no key exists yet, as if it raced the winner: it tries
    # to insert version 1 too, hits the unique constraint and must use the winner's key.
    real_live_row, real_max = kr._live_row, kr._max_version
    blind = {"live": 2, "max": 1}

    def live_row(group_id: int, *, lock: bool):
        if blind["live"]:
            blind["live"] -= 1
            return None
        return real_live_row(group_id, lock=lock)

    def max_version(group_id: int) -> int:
        if blind["max"]:
            blind["max"] -= 1
            return 0
        return real_max(group_id)

    monkeypatch.setattr(kr, "_live_row", live_row)
    monkeypatch.setattr(kr, "_max_version", max_version)
    assert kr.current_group_key(gid) == winner
    assert blind == {"live": 0, "max": 0}
    assert len(rows(gid)) == 1


def test_cache_is_bounded(app_ctx, make_group) -> None:
    ring = Keyring(cache_size=2)
    ring.init_app(app_ctx)
    # Groups first: make_group commits in its own session, which must not wait for ours.
    for group_id in [make_group(f"Group {n}") for n in range(4)]:
        ring.current_group_key(group_id)
    assert len(app_ctx.extensions["emisa.keyring.state"]._cache) == 2


@pytest.fixture
def env_key_app(app_config, request):
    app_config["EMISA_MASTER_KEY"] = K1
    application = request.getfixturevalue("app")
    with application.app_context():
        yield application


def test_env_master_key_cannot_be_rotated_in_place(env_key_app, make_group) -> None:
    group = make_group("Investigative capabilities")
    keyring.current_group_key(group)
    assert not (env_key_app.config["EMISA_DATA_DIR"] / master_keys.KEY_FILE_NAME).exists()
    with pytest.raises(MasterKeyError, match="EMISA_MASTER_KEYS="):
        keyring.rotate_master_key()


def test_rotation_with_env_master_keys(env_key_app, make_group) -> None:
    group = make_group("Foreign terrorist fighters")
    field = keyring.seal_text(group, "x", "post:1:body")
    db.session.commit()
    env_key_app.config["EMISA_MASTER_KEY"] = None
    env_key_app.config["EMISA_MASTER_KEYS"] = json.dumps({"current": 2, "keys": {"1": K1, "2": K2}})
    restart(env_key_app)
    assert keyring.open_text(group, field, "post:1:body") == "x"
    assert keyring.rotate_master_key() == 2
    db.session.commit()
    assert [r.master_version for r in rows(group)] == [2]
    with pytest.raises(MasterKeyError, match="already wrapped"):
        keyring.rotate_master_key()
    env_key_app.config["EMISA_MASTER_KEYS"] = json.dumps({"current": 2, "keys": {"2": K2}})
    restart(env_key_app)
    assert keyring.open_text(group, field, "post:1:body") == "x"


def test_pruned_master_version_is_key_unavailable(env_key_app, make_group) -> None:
    group = make_group("P/CVE")
    field = keyring.seal_text(group, "x", "post:1:body")
    db.session.commit()
    env_key_app.config["EMISA_MASTER_KEY"] = K2
    restart(env_key_app)
    with pytest.raises(IntegrityFailure):
        keyring.open_text(group, field, "post:1:body")
    env_key_app.config["EMISA_MASTER_KEY"] = None
    env_key_app.config["EMISA_MASTER_KEYS"] = json.dumps({"current": 2, "keys": {"2": K2}})
    restart(env_key_app)
    with pytest.raises(KeyUnavailable, match="master key version 1"):
        keyring.open_text(group, field, "post:1:body")


def test_lost_key_file_is_not_silently_replaced(app, app_config, make_group) -> None:
    group = make_group("Seeded")
    with app.app_context():
        blob = keyring.seal_text(group, "x", "post:1:body")
        db.session.commit()
    key_file = app_config["EMISA_DATA_DIR"] / master_keys.KEY_FILE_NAME
    key_file.unlink()
    restarted = create_app(app_config)
    with restarted.app_context():
        with pytest.raises(MasterKeyError, match="restore the key file"):
            keyring.open_text(group, blob, "post:1:body")
        with pytest.raises(MasterKeyError, match="restore the key file"):
            keyring.seal_platform(b"seed", "totp-secret")
        db.session.rollback()
    assert not key_file.exists()


def test_unreadable_key_file_stops_start_up(app, app_config) -> None:
    with app.app_context():
        keyring.seal_platform(b"seed", "totp-secret")
    key_file = app_config["EMISA_DATA_DIR"] / master_keys.KEY_FILE_NAME
    key_file.chmod(0o644)
    with pytest.raises(MasterKeyError, match="chmod 600"):
        create_app(app_config)


def test_invalid_env_master_key_stops_start_up(app_config) -> None:
    app_config["EMISA_MASTER_KEY"] = "too-short"
    with pytest.raises(MasterKeyError, match="EMISA_MASTER_KEY is not valid base64"):
        create_app(app_config)


# Commands


@pytest.fixture
def cli(app):
    group = BoundaryGroup("crypto-test")
    register_commands(group)
    app.cli.add_command(group)
    return app.test_cli_runner()


def test_rotate_group_key_command(app, cli, make_group) -> None:
    group = make_group("Command group")
    with app.app_context():
        keyring.current_group_key(group)
        db.session.commit()
    result = cli.invoke(args=["crypto-test", "rotate-group-key", "--group", str(group)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == f"group {group}: key version 2 is current"
    with app.app_context():
        assert [(r.version, r.live) for r in rows(group)] == [(1, False), (2, True)]


@pytest.mark.parametrize("value", ["987654", "abc", "-1", ""])
def test_rotate_group_key_command_bad_input(cli, value: str) -> None:
    result = cli.invoke(args=["crypto-test", "rotate-group-key", "--group", value])
    assert result.exit_code != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")


def test_rotate_master_key_command(app, cli, make_group) -> None:
    group = make_group("Master command group")
    with app.app_context():
        keyring.current_group_key(group)
        db.session.commit()
    result = cli.invoke(args=["crypto-test", "rotate-master-key"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == (
        "master key version 2 is current; 1 group key(s) wrapped by it"
    )
    with app.app_context():
        assert [r.master_version for r in rows(group)] == [2]
