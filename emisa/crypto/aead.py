"""One-shot AES-256-GCM for small values: ``nonce || ciphertext || tag``.

Random 96-bit nonces are safe here because no single key seals anywhere near
2**32 values: group keys seal short fields and wrap data keys, and the master
key only wraps group keys. Files use the segmented format in ``stream``.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from emisa.crypto.errors import IntegrityFailure

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
OVERHEAD = NONCE_SIZE + TAG_SIZE


def check_key(key: bytes) -> None:
    """Refuse anything but a 32-byte key: a short key is a bug, never a runtime condition."""
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_SIZE:
        raise ValueError("AES-256-GCM needs a 32-byte key")


def seal(key: bytes, plaintext: bytes, aad: bytes, *, nonce: bytes | None = None) -> bytes:
    """Encrypt and authenticate ``plaintext`` bound to ``aad``.

    ``nonce`` exists only to produce deterministic test vectors; production
    code never passes it, so every call draws a fresh random nonce.
    """
    check_key(key)
    return seal_with(AESGCM(key), plaintext, aad, nonce=nonce)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Return the plaintext of ``blob`` or raise ``IntegrityFailure``; never partial output."""
    check_key(key)
    return open_with(AESGCM(key), blob, aad)


def open_with(cipher: AESGCM, blob: bytes | memoryview, aad: bytes) -> bytes:
    """``open_sealed`` with a prepared cipher, so callers that cache keys skip the key setup."""
    if len(blob) < OVERHEAD:
        raise IntegrityFailure("sealed value is too short to be valid")
    view = memoryview(blob)
    try:
        return cipher.decrypt(view[:NONCE_SIZE], view[NONCE_SIZE:], aad)
    except InvalidTag:
        raise IntegrityFailure("sealed value failed authentication") from None


def seal_with(cipher: AESGCM, plaintext: bytes, aad: bytes, *, nonce: bytes | None = None) -> bytes:
    """``seal`` with a prepared cipher (see ``open_with``)."""
    if nonce is None:
        nonce = os.urandom(NONCE_SIZE)
    elif len(nonce) != NONCE_SIZE:
        raise ValueError("nonce must be 12 bytes")
    return nonce + cipher.encrypt(nonce, plaintext, aad)
