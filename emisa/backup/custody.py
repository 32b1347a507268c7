"""Custody of the master key: K-of-N SLIP-39 shares for custodians, and recovery from them.

SLIP-39 (``shamir-mnemonic``, maintained by Trezor) gives each custodian a list of words with
a checksum, and refuses, rather than silently returning wrong bytes, when a share is mistyped,
comes from another split, or fewer than K shares are given. A rebuilt key is installed only
once it opens every live group key it is checked against: the database's own, or a backup's
when the whole platform is being rebuilt.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from shamir_mnemonic import MnemonicError, combine_mnemonics, generate_mnemonics

from emisa.backup.archive import BackupError
from emisa.crypto.keyring import unwrap_problems
from emisa.crypto.master import dump_key_set, write_private_file
from emisa.crypto.models import GroupKey
from emisa.timeutil import utcnow

MAX_SHARES = 16  # SLIP-39's limit per group
# Left in the data directory by a recovery checked against a backup, for the restore to audit:
# until then the database is empty, and must stay so for the restore to accept it.
PENDING_RECORD = "master-key-recovered.json"


class CustodyError(Exception):
    """Shares cannot be made or do not rebuild a key that opens the keyring."""


def split_key(key: bytes, shares: int, threshold: int) -> list[str]:
    """``shares`` mnemonics of which any ``threshold`` rebuild ``key``."""
    if not 1 <= threshold <= shares <= MAX_SHARES:
        raise CustodyError(
            f"need 1 <= threshold <= shares <= {MAX_SHARES}, got {threshold} of {shares}"
        )
    if threshold == 1 and shares > 1:
        raise CustodyError(
            "a threshold of 1 would hand each custodian the whole key; use a threshold of 2 "
            "or more (or one share)"
        )
    [mnemonics] = generate_mnemonics(1, [(threshold, shares)], key)
    return mnemonics


def combine_shares(lines: Iterable[str]) -> bytes:
    """The key the given shares rebuild; ``CustodyError`` saying what is wrong with them."""
    shares = [" ".join(line.split()) for line in lines if line.strip()]
    if not shares:
        raise CustodyError("no shares given: one share per line on standard input")
    try:
        return combine_mnemonics(shares)
    except MnemonicError as error:
        raise CustodyError(f"the shares do not rebuild a key: {error}") from None


def version_opened_by(key: bytes, rows: Iterable[GroupKey | sa.Row]) -> int:
    """The master key version ``key`` is: the one whose group keys it opens, all of them."""
    by_version: dict[int, list] = {}
    for row in rows:
        if row.wrapped_key is not None and row.retired_at is None:
            by_version.setdefault(row.master_version, []).append(row)
    if not by_version:
        raise CustodyError(
            "there is no group key to check the rebuilt key against; give --backup PATH to "
            "check it against a backup"
        )
    for version, wrapped in sorted(by_version.items(), reverse=True):
        if not unwrap_problems({version: key}, wrapped):
            return version
    raise CustodyError(
        "the rebuilt key does not open the group keys: these shares belong to another "
        "platform or an earlier master key; nothing was installed"
    )


def install_key(destination: Path, version: int, key: bytes) -> None:
    """Write the key file at ``destination``; never over an existing file."""
    if destination.exists():
        raise CustodyError(
            f"{destination} already exists; a recovery never overwrites a key file: move it "
            "away first, or give --to another path"
        )
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private_file(destination, dump_key_set(version, {version: key}))


def leave_pending_record(data_dir: Path, details: dict) -> None:
    write_private_file(
        data_dir / PENDING_RECORD,
        json.dumps({**details, "at": utcnow().isoformat(timespec="seconds") + "Z"}),
    )


def take_pending_record(data_dir: Path) -> dict | None:
    """The recovery a restore must still audit, if any; removed once read."""
    path = data_dir / PENDING_RECORD
    try:
        details = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise BackupError(f"{path} cannot be read: {error}") from None
    path.unlink()
    return details
