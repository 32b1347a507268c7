"""One-shot AES-GCM and the versioned envelope blobs."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from emisa.crypto import envelope
from emisa.crypto.aead import NONCE_SIZE, OVERHEAD, open_sealed, seal
from emisa.crypto.errors import CryptoError, IntegrityFailure

KEY = bytes(range(32))


def test_round_trip_and_layout() -> None:
    blob = seal(KEY, b"secret", b"row:1")
    assert len(blob) == len(b"secret") + OVERHEAD
    assert open_sealed(KEY, blob, b"row:1") == b"secret"
    assert AESGCM(KEY).decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], b"row:1") == b"secret"


def test_nonces_are_random() -> None:
    assert seal(KEY, b"x", b"") != seal(KEY, b"x", b"")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b[:-1],
        lambda b: b[: OVERHEAD - 1],
        lambda b: b"",
        lambda b: bytes([b[0] ^ 1]) + b[1:],
        lambda b: b[:15] + bytes([b[15] ^ 1]) + b[16:],
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),
        lambda b: b + b"\x00",
    ],
    ids=["cut", "too-short", "empty", "nonce", "ciphertext", "tag", "extended"],
)
def test_tampering_is_an_integrity_failure(mutate) -> None:
    blob = seal(KEY, b"secret value", b"row:1")
    with pytest.raises(IntegrityFailure):
        open_sealed(KEY, mutate(blob), b"row:1")


def test_wrong_key_and_aad() -> None:
    blob = seal(KEY, b"secret", b"row:1")
    with pytest.raises(IntegrityFailure):
        open_sealed(bytes(32), blob, b"row:1")
    with pytest.raises(IntegrityFailure):
        open_sealed(KEY, blob, b"row:2")
    assert issubclass(IntegrityFailure, CryptoError)


def test_bad_key_length_is_a_bug_not_tampering() -> None:
    with pytest.raises(ValueError):
        seal(KEY[:16], b"x", b"")
    with pytest.raises(ValueError):
        open_sealed(KEY[:16], bytes(40), b"")


def test_versioned_blob_carries_its_version() -> None:
    cipher = AESGCM(KEY)
    blob = envelope.seal_versioned(cipher, 7, b"hello", envelope.field_aad("doc:1:title"))
    assert blob[:4] == b"\x00\x00\x00\x07"
    assert envelope.blob_version(blob) == 7
    assert envelope.open_versioned(cipher, blob, envelope.field_aad("doc:1:title")) == b"hello"
    with pytest.raises(IntegrityFailure):
        envelope.blob_version(blob[:10])
    with pytest.raises(ValueError):
        envelope.seal_versioned(cipher, 0, b"x", b"")


def test_purposes_are_separated() -> None:
    """A field blob cannot pass for a wrapped data key even when the caller's aad collides."""
    cipher = AESGCM(KEY)
    blob = envelope.seal_versioned(cipher, 1, bytes(32), envelope.field_aad("x:1"))
    with pytest.raises(IntegrityFailure):
        envelope.open_versioned(cipher, blob, envelope.data_key_aad("x:1"))


def test_platform_subkeys_differ_by_purpose() -> None:
    totp = envelope.derive_platform_key(KEY, "totp")
    other = envelope.derive_platform_key(KEY, "webhook")
    assert len(totp) == 32
    assert totp != other != KEY
    with pytest.raises(ValueError):
        envelope.derive_platform_key(KEY, "")
