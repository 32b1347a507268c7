"""The local blob store: atomic writes, strict ids, orphan discovery."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from flask import Flask

from emisa.storage import (
    BlobNotFound,
    LocalBlobStore,
    blobs,
    check_blob_id,
    new_blob_id,
)
from emisa.storage.local import TEMP_PREFIX


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_then_read(store: LocalBlobStore) -> None:
    blob_id = new_blob_id()
    with store.open_writer(blob_id) as writer:
        writer.write(b"hello ")
        writer.write(b"world")
    assert writer.bytes_written == 11
    assert store.exists(blob_id)
    assert store.size(blob_id) == 11
    with store.open_reader(blob_id) as handle:
        assert handle.read() == b"hello world"
    path = store.root / blob_id[:2] / blob_id
    assert all_files(store.root) == [path]
    assert mode(store.root) == 0o700
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600


def test_blob_is_invisible_until_committed(store: LocalBlobStore) -> None:
    blob_id = new_blob_id()
    writer = store.open_writer(blob_id)
    writer.write(b"partial")
    assert not store.exists(blob_id)
    assert list(store.iter_blob_ids()) == []
    writer.commit()
    assert store.exists(blob_id)
    with pytest.raises(ValueError):
        writer.write(b"more")


def test_exception_leaves_nothing(store: LocalBlobStore) -> None:
    blob_id = new_blob_id()
    with pytest.raises(RuntimeError), store.open_writer(blob_id) as writer:
        writer.write(b"x" * 100_000)
        raise RuntimeError("upload interrupted")
    assert not store.exists(blob_id)
    assert all_files(store.root) == []
    assert list(store.iter_orphan_temp_files(min_age=0)) == []


def test_abort_is_idempotent(store: LocalBlobStore) -> None:
    writer = store.open_writer(new_blob_id())
    writer.write(b"x")
    writer.abort()
    writer.abort()
    assert all_files(store.root) == []
    with pytest.raises(ValueError):
        writer.commit()


def test_blobs_are_never_overwritten(store: LocalBlobStore) -> None:
    blob_id = new_blob_id()
    with store.open_writer(blob_id) as writer:
        writer.write(b"first")
    with pytest.raises(FileExistsError):
        store.open_writer(blob_id)


def test_commit_race_on_the_same_id_keeps_the_first(store: LocalBlobStore) -> None:
    blob_id = new_blob_id()
    first = store.open_writer(blob_id)
    second = store.open_writer(blob_id)
    first.write(b"first")
    second.write(b"second")
    first.commit()
    with pytest.raises(FileExistsError):
        second.commit()
    with store.open_reader(blob_id) as handle:
        assert handle.read() == b"first"
    assert all_files(store.root) == [store.path(blob_id)]


BAD_IDS = [
    "",
    "../../etc/passwd",
    "ab/../../../etc/passwd",
    "/etc/passwd",
    "0" * 31,
    "0" * 33,
    "0" * 32 + "\n",
    "A" * 32,
    "g" * 32,
    "." * 32,
    "0" * 30 + "/x",
    "\u0660" * 32,  # Arabic-Indic digits match \d, not [0-9]
]


@pytest.mark.parametrize("blob_id", BAD_IDS)
def test_malformed_ids_are_refused_everywhere(store: LocalBlobStore, blob_id: str) -> None:
    for call in (
        store.open_writer,
        store.open_reader,
        store.delete,
        store.exists,
        store.size,
        check_blob_id,
    ):
        with pytest.raises(ValueError):
            call(blob_id)
    assert all_files(store.root) == []


def test_non_string_ids_are_refused(store: LocalBlobStore) -> None:
    with pytest.raises(ValueError):
        store.exists(None)  # type: ignore[arg-type]


def test_missing_blob(store: LocalBlobStore) -> None:
    blob_id = new_blob_id()
    assert not store.exists(blob_id)
    with pytest.raises(BlobNotFound):
        store.open_reader(blob_id)
    with pytest.raises(FileNotFoundError):
        store.size(blob_id)
    assert store.delete(blob_id) is False


def test_delete(store: LocalBlobStore) -> None:
    blob_id = new_blob_id()
    with store.open_writer(blob_id) as writer:
        writer.write(b"x")
    assert store.delete(blob_id) is True
    assert not store.exists(blob_id)


def test_iter_blob_ids_skips_temp_files_and_strangers(store: LocalBlobStore) -> None:
    ids = sorted(new_blob_id() for _ in range(5))
    for blob_id in ids:
        with store.open_writer(blob_id) as writer:
            writer.write(blob_id.encode())
    store.open_writer(new_blob_id()).write(b"never committed")
    (store.root / "README").write_text("not a blob")
    (store.root / ids[0][:2] / "notes.txt").write_text("not a blob")
    misplaced = "ff" if ids[0][:2] != "ff" else "ee"
    (store.root / misplaced).mkdir(exist_ok=True)
    (store.root / misplaced / ids[0]).write_bytes(b"in the wrong fan-out directory")
    assert list(store.iter_blob_ids()) == ids


def test_orphan_temp_files(store: LocalBlobStore) -> None:
    blob_id = new_blob_id()
    writer = store.open_writer(blob_id)
    writer.write(b"upload that crashed")
    # A fresh temp file may be an upload in progress: not an orphan by default.
    assert list(store.iter_orphan_temp_files()) == []
    [orphan] = store.iter_orphan_temp_files(min_age=0)
    assert orphan.name.startswith(TEMP_PREFIX + blob_id)
    old = time.time() - 2 * 3600
    os.utime(orphan, (old, old))
    assert list(store.iter_orphan_temp_files()) == [orphan]
    writer.abort()
    assert list(store.iter_orphan_temp_files(min_age=0)) == []


def test_app_bound_store(tmp_path: Path) -> None:
    app = Flask(__name__)
    app.config["EMISA_DATA_DIR"] = tmp_path
    blobs.init_app(app)
    with app.app_context():
        blob_id = new_blob_id()
        with blobs.open_writer(blob_id) as writer:
            writer.write(b"bound")
        assert blobs.exists(blob_id)
        assert blobs.size(blob_id) == 5
        assert list(blobs.iter_blob_ids()) == [blob_id]
        assert list(blobs.iter_orphan_temp_files(0)) == []
        with blobs.open_reader(blob_id) as handle:
            assert handle.read() == b"bound"
        assert blobs.delete(blob_id)
    assert mode(tmp_path / "blobs") == 0o700


def test_unbound_store_says_so() -> None:
    with Flask(__name__).app_context(), pytest.raises(RuntimeError, match="init_app"):
        blobs.exists(new_blob_id())
