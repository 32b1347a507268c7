"""Blob storage: the interface, the local store and the app-bound ``blobs`` handle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app

from emisa.storage.base import (
    BlobNotFound,
    BlobStore,
    BlobWriter,
    StorageFull,
    check_blob_id,
    new_blob_id,
)
from emisa.storage.local import DEFAULT_ORPHAN_AGE, LocalBlobStore, LocalBlobWriter

EXTENSION_KEY = "emisa.blobs"


class AppBlobStore:
    """The current app's blob store, so features can ``from emisa.storage import blobs``."""

    def init_app(self, app: Flask, store: BlobStore | None = None) -> None:
        """Bind ``store``, by default a ``LocalBlobStore`` in ``<data dir>/blobs`` (mode 0700)."""
        if store is None:
            store = LocalBlobStore(Path(app.config["EMISA_DATA_DIR"]) / "blobs")
        app.extensions[EXTENSION_KEY] = store

    @property
    def store(self) -> BlobStore:
        try:
            return current_app.extensions[EXTENSION_KEY]
        except KeyError:
            raise RuntimeError("blobs.init_app(app) has not been called") from None

    def open_writer(self, blob_id: str) -> BlobWriter:
        return self.store.open_writer(blob_id)

    def open_reader(self, blob_id: str) -> BinaryIO:
        return self.store.open_reader(blob_id)

    def delete(self, blob_id: str) -> bool:
        return self.store.delete(blob_id)

    def exists(self, blob_id: str) -> bool:
        return self.store.exists(blob_id)

    def size(self, blob_id: str) -> int:
        return self.store.size(blob_id)

    def iter_blob_ids(self) -> Iterator[str]:
        return self.store.iter_blob_ids()

    def iter_orphan_temp_files(self, min_age: float = DEFAULT_ORPHAN_AGE) -> Iterator[Path]:
        return self.store.iter_orphan_temp_files(min_age)


blobs = AppBlobStore()

__all__ = [
    "DEFAULT_ORPHAN_AGE",
    "AppBlobStore",
    "BlobNotFound",
    "BlobStore",
    "BlobWriter",
    "LocalBlobStore",
    "LocalBlobWriter",
    "StorageFull",
    "blobs",
    "check_blob_id",
    "new_blob_id",
]
