"""Byte layouts of the keyring's small blobs, as pure functions with no database.

Kept apart from ``keyring`` so the formats can be checked against committed
test vectors and re-implemented by a second tool (an offline exporter, an
auditor) without Flask. Layouts (integers big-endian)::

    field blob        key version u32 | nonce 12 | ciphertext | tag 16
                      key = group key <version>,   aad = b"emisa:field:"    + caller aad
    wrapped data key  key version u32 | nonce 12 | 32 + 16 bytes
                      key = group key <version>,   aad = b"emisa:data-key:" + caller aad
    wrapped group key nonce 12 | 32 + 16 bytes (master version lives in its own column)
                      key = master key,  aad = b"emisa:group-key:<group id>:<version>"
    platform blob     master version u32 | nonce 12 | ciphertext | tag 16
                      key = HKDF-SHA256(master key, no salt, info = b"emisa:platform:" + purpose)
                      aad = the same bytes as info

The prefixes separate the uses of one key, so a blob sealed for one purpose
can never be swapped in for another even if a caller's aad strings collide.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from emisa.crypto.aead import KEY_SIZE, OVERHEAD, check_key, open_with, seal_with
from emisa.crypto.errors import IntegrityFailure

_VERSION = struct.Struct(">I")
VERSION_SIZE = _VERSION.size
MAX_VERSION = 2**32 - 1
WRAPPED_DATA_KEY_SIZE = VERSION_SIZE + OVERHEAD + KEY_SIZE
WRAPPED_GROUP_KEY_SIZE = OVERHEAD + KEY_SIZE


def field_aad(aad: str) -> bytes:
    return b"emisa:field:" + aad.encode("utf-8")


def data_key_aad(aad: str) -> bytes:
    return b"emisa:data-key:" + aad.encode("utf-8")


def group_key_aad(group_id: int, version: int) -> bytes:
    return f"emisa:group-key:{group_id}:{version}".encode()


def platform_info(purpose: str) -> bytes:
    """HKDF info and aad for platform secrets; one subkey per purpose."""
    if not purpose:
        raise ValueError("a platform secret needs a purpose")
    return b"emisa:platform:" + purpose.encode("utf-8")


def derive_platform_key(master_key: bytes, purpose: str) -> bytes:
    check_key(master_key)
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=platform_info(purpose))
    return hkdf.derive(master_key)


def seal_versioned(
    cipher: AESGCM, version: int, plaintext: bytes, aad: bytes, *, nonce: bytes | None = None
) -> bytes:
    """Prefix the sealed value with the key version so older versions stay readable.

    ``nonce`` is for deterministic test vectors only.
    """
    if not 1 <= version <= MAX_VERSION:
        raise ValueError("key versions run from 1 to 2**32-1")
    return _VERSION.pack(version) + seal_with(cipher, plaintext, aad, nonce=nonce)


def blob_version(blob: bytes) -> int:
    """The key version a versioned blob was sealed under (not yet authenticated)."""
    if len(blob) < VERSION_SIZE + OVERHEAD:
        raise IntegrityFailure("sealed value is too short to be valid")
    return int(_VERSION.unpack_from(blob)[0])


def open_versioned(cipher: AESGCM, blob: bytes, aad: bytes) -> bytes:
    """Open a blob whose version the caller already resolved to ``cipher``."""
    blob_version(blob)
    return open_with(cipher, memoryview(blob)[VERSION_SIZE:], aad)
