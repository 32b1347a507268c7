"""Master keys (KEKs): where they come from and how the key file is kept.

Sources, first match wins:

1. ``EMISA_MASTER_KEYS``: JSON ``{"current": 2, "keys": {"1": "<b64>", "2": "<b64>"}}``,
   for operators who keep keys outside the data directory and rotate them.
2. ``EMISA_MASTER_KEY``: one base64 key, which is version 1.
3. The key file ``<data dir>/master-keys.json`` (same JSON), created with mode
   0600 the first time a key is needed. Rotation adds a version to it and
   keeps the old ones.

Master keys never go into the database: whoever steals a database dump must
not get the keys that unwrap it. The file is rewritten atomically (temp file,
fsync, rename, fsync of the directory) under an exclusive lock, so processes
that start or rotate at the same time never see half a file or lose a version.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from emisa.crypto.aead import KEY_SIZE
from emisa.crypto.errors import MasterKeyError

KEY_FILE_NAME = "master-keys.json"
LOCK_FILE_NAME = "master-keys.lock"
SOURCE_FILE = "file"
SOURCE_ENV_KEY = "EMISA_MASTER_KEY"
SOURCE_ENV_KEYS = "EMISA_MASTER_KEYS"
GENERATE_HINT = (
    'generate one with: python -c "import base64, os; '
    'print(base64.b64encode(os.urandom(32)).decode())"'
)


@dataclass(frozen=True)
class MasterKeySet:
    """The master key versions this process can use, and which one wraps new keys."""

    current: int
    keys: Mapping[int, bytes]
    source: str
    path: Path | None = None

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current]


def decode_key(text: str, where: str) -> bytes:
    """Strict base64 of exactly 32 bytes; the error names the setting, never the value."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"{where} is not valid base64; {GENERATE_HINT}") from None
    if len(key) != KEY_SIZE:
        raise MasterKeyError(
            f"{where} must decode to exactly {KEY_SIZE} bytes, not {len(key)}; {GENERATE_HINT}"
        )
    return key


def parse_key_set(text: str, where: str) -> tuple[int, dict[int, bytes]]:
    """Parse the versioned JSON form shared by the key file and ``EMISA_MASTER_KEYS``."""
    example = '{"current": 1, "keys": {"1": "<base64 of 32 bytes>"}}'
    try:
        data = json.loads(text)
    except ValueError:
        raise MasterKeyError(f"{where} is not valid JSON; expected {example}") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict) or not data["keys"]:
        raise MasterKeyError(f"{where} must look like {example}")
    keys: dict[int, bytes] = {}
    for name, value in data["keys"].items():
        if not (isinstance(name, str) and name.isdigit() and int(name) >= 1):
            raise MasterKeyError(f"{where}: key versions must be positive integers, got {name!r}")
        if not isinstance(value, str):
            raise MasterKeyError(f"{where}: key version {name} must be a base64 string")
        keys[int(name)] = decode_key(value, f"{where} key version {name}")
    current = data.get("current")
    if not isinstance(current, int) or isinstance(current, bool) or current not in keys:
        raise MasterKeyError(f"{where}: 'current' must be one of the key versions {sorted(keys)}")
    return current, keys


def dump_key_set(current: int, keys: Mapping[int, bytes]) -> str:
    encoded = {str(v): base64.b64encode(keys[v]).decode() for v in sorted(keys)}
    return json.dumps({"current": current, "keys": encoded}, indent=2) + "\n"


def load_master_keys(
    master_key: str | None,
    master_keys: str | None,
    data_dir: Path,
    has_wrapped_keys: Callable[[], bool] = lambda: False,
) -> MasterKeySet:
    """Resolve the configured source; raise ``MasterKeyError`` with a fix if it is unusable."""
    if master_keys:
        current, keys = parse_key_set(master_keys, SOURCE_ENV_KEYS)
        if master_key and decode_key(master_key, SOURCE_ENV_KEY) not in keys.values():
            raise MasterKeyError(
                f"{SOURCE_ENV_KEY} and {SOURCE_ENV_KEYS} are both set but the key in "
                f"{SOURCE_ENV_KEY} is not one of the versions in {SOURCE_ENV_KEYS}; "
                f"unset {SOURCE_ENV_KEY}"
            )
        return MasterKeySet(current, keys, SOURCE_ENV_KEYS)
    if master_key:
        return MasterKeySet(1, {1: decode_key(master_key, SOURCE_ENV_KEY)}, SOURCE_ENV_KEY)
    return read_or_create_key_file(data_dir, has_wrapped_keys)


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """Exclusive lock shared by every process using this data directory."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(data_dir / LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read_key_file(path: Path) -> MasterKeySet:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise MasterKeyError(
            f"master key file {path} is accessible to other users (mode {mode:04o}); "
            f"run: chmod 600 {path}"
        )
    current, keys = parse_key_set(path.read_text(encoding="utf-8"), f"master key file {path}")
    return MasterKeySet(current, keys, SOURCE_FILE, path)


def write_key_file(path: Path, current: int, keys: Mapping[int, bytes]) -> None:
    """Replace ``path`` atomically: a crash leaves the old or the new file, never a mix."""
    write_private_file(path, dump_key_set(current, keys))


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, mode 0600, atomically and durably."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_or_create_key_file(
    data_dir: Path, has_wrapped_keys: Callable[[], bool] = lambda: False
) -> MasterKeySet:
    """Load the key file, creating version 1 if it does not exist yet.

    ``has_wrapped_keys`` tells whether the database already holds keys wrapped
    by some master key: then a missing file was lost or the data directory is
    the wrong one, and a fresh key would only make everything unreadable.
    """
    path = data_dir / KEY_FILE_NAME
    with _locked(data_dir):
        if not path.exists():
            if has_wrapped_keys():
                raise MasterKeyError(
                    f"master key file {path} is missing but the database holds wrapped "
                    "group keys; restore the key file (or set EMISA_MASTER_KEY / "
                    "EMISA_MASTER_KEYS) instead of starting with a new key"
                )
            write_key_file(path, 1, {1: os.urandom(KEY_SIZE)})
        return _read_key_file(path)


def reload_key_file(data_dir: Path) -> MasterKeySet:
    """Re-read the key file, e.g. after another process rotated; never creates it."""
    path = data_dir / KEY_FILE_NAME
    with _locked(data_dir):
        if not path.exists():
            raise MasterKeyError(f"master key file {path} has disappeared")
        return _read_key_file(path)


def add_key_file_version(data_dir: Path) -> MasterKeySet:
    """Add a fresh version to the key file and make it current; old versions stay.

    The file is re-read under the lock first so a rotation in another process
    is built upon, not overwritten.
    """
    path = data_dir / KEY_FILE_NAME
    with _locked(data_dir):
        existing = _read_key_file(path)
        keys = dict(existing.keys)
        new_version = max(keys) + 1
        keys[new_version] = os.urandom(KEY_SIZE)
        write_key_file(path, new_version, keys)
        return _read_key_file(path)
