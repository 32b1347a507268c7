"""Master key sources and the versioned key file."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from emisa.crypto import master
from emisa.crypto.errors import MasterKeyError

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(1, 33))).decode()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_env_key_is_version_one(tmp_path: Path) -> None:
    keys = master.load_master_keys(K1, None, tmp_path)
    assert keys.source == "EMISA_MASTER_KEY"
    assert keys.current == 1
    assert keys.current_key == bytes(range(32))
    assert not (tmp_path / master.KEY_FILE_NAME).exists()


@pytest.mark.parametrize(
    "value",
    ["not base64!", base64.b64encode(bytes(16)).decode(), base64.b64encode(bytes(33)).decode()],
)
def test_invalid_env_key_is_a_clear_startup_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(MasterKeyError) as info:
        master.load_master_keys(value, None, tmp_path)
    message = str(info.value)
    assert "EMISA_MASTER_KEY" in message
    assert "generate one with" in message
    assert value not in message


def test_env_key_set(tmp_path: Path) -> None:
    text = json.dumps({"current": 2, "keys": {"1": K1, "2": K2}})
    keys = master.load_master_keys(None, text, tmp_path)
    assert (keys.source, keys.current, sorted(keys.keys)) == ("EMISA_MASTER_KEYS", 2, [1, 2])
    # EMISA_MASTER_KEY may stay set while it is one of the versions.
    assert master.load_master_keys(K1, text, tmp_path).current == 2
    other = base64.b64encode(bytes(32)).decode()
    with pytest.raises(MasterKeyError, match="unset EMISA_MASTER_KEY"):
        master.load_master_keys(other, text, tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "[]",
        '{"current": 1, "keys": {}}',
        json.dumps({"current": 3, "keys": {"1": K1}}),
        json.dumps({"current": True, "keys": {"1": K1}}),
        json.dumps({"current": 0, "keys": {"0": K1}}),
        json.dumps({"current": 1, "keys": {"1": 5}}),
        json.dumps({"current": 1, "keys": {"1": "AAAA"}}),
    ],
)
def test_invalid_key_sets(tmp_path: Path, text: str) -> None:
    with pytest.raises(MasterKeyError, match="EMISA_MASTER_KEYS"):
        master.load_master_keys(None, text, tmp_path)


def test_key_file_created_once_with_mode_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = master.load_master_keys(None, None, data_dir)
    path = data_dir / master.KEY_FILE_NAME
    assert first.source == "file"
    assert first.path == path
    assert mode(path) == 0o600
    assert mode(data_dir) == 0o700
    assert json.loads(path.read_text())["current"] == 1
    again = master.load_master_keys(None, None, data_dir)
    assert again.keys == first.keys
    assert [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    results: list[bytes] = []

    def start() -> None:
        results.append(master.read_or_create_key_file(tmp_path).current_key)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len(set(results)) == 1


def test_missing_file_with_wrapped_keys_in_the_database_refuses(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="restore the key file"):
        master.load_master_keys(None, None, tmp_path, lambda: True)
    assert not (tmp_path / master.KEY_FILE_NAME).exists()


def test_world_readable_key_file_is_refused(tmp_path: Path) -> None:
    master.load_master_keys(None, None, tmp_path)
    path = tmp_path / master.KEY_FILE_NAME
    os.chmod(path, 0o644)
    with pytest.raises(MasterKeyError, match="chmod 600"):
        master.load_master_keys(None, None, tmp_path)


def test_adding_a_version_keeps_the_old_ones(tmp_path: Path) -> None:
    first = master.read_or_create_key_file(tmp_path)
    second = master.add_key_file_version(tmp_path)
    third = master.add_key_file_version(tmp_path)
    assert (second.current, third.current) == (2, 3)
    assert third.keys[1] == first.keys[1]
    assert third.keys[2] == second.keys[2]
    assert len(set(third.keys.values())) == 3
    assert mode(tmp_path / master.KEY_FILE_NAME) == 0o600
    assert master.reload_key_file(tmp_path).keys == third.keys
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_reload_never_creates(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="disappeared"):
        master.reload_key_file(tmp_path)
