"""Deterministic test vectors for every format in docs/crypto.md.

``tests/crypto/vectors/emisa-crypto-v1.json`` is committed so that a second
implementation can check itself against it. The test regenerates the vectors
(fixed keys and nonces) and compares, and also opens every committed blob with
the decrypting code alone, so a change to either side is caught.

Regenerate after an intended format change: ``python tests/crypto/test_vectors.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from emisa.crypto import aead, envelope
from emisa.crypto.stream import HEADER_SIZE, SEALED_SEGMENT_SIZE, decrypt_stream, encrypt_stream

VECTOR_FILE = Path(__file__).with_name("vectors") / "emisa-crypto-v1.json"
PATTERN = "byte i of the plaintext is i mod 251"


def _pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def _stream_vector(name: str, key: bytes, prefix: bytes, aad: bytes, plaintext: bytes, full: bool):
    blob = b"".join(encrypt_stream(key, aad, [plaintext], nonce_prefix=prefix))
    vector: dict[str, Any] = {
        "name": name,
        "key": key.hex(),
        "nonce_prefix": prefix.hex(),
        "aad": aad.hex(),
        "plaintext_size": len(plaintext),
        "ciphertext_size": len(blob),
    }
    if full:
        vector["plaintext"] = plaintext.hex()
        vector["ciphertext"] = blob.hex()
    else:
        body = blob[HEADER_SIZE:]
        segments = [
            body[i : i + SEALED_SEGMENT_SIZE] for i in range(0, len(body), SEALED_SEGMENT_SIZE)
        ]
        vector["plaintext_pattern"] = PATTERN
        vector["plaintext_sha256"] = hashlib.sha256(plaintext).hexdigest()
        vector["header"] = blob[:HEADER_SIZE].hex()
        vector["segment_tags"] = [segment[-16:].hex() for segment in segments]
        vector["ciphertext_sha256"] = hashlib.sha256(blob).hexdigest()
    return vector


def build_vectors() -> dict[str, Any]:
    """Every vector from fixed inputs; nothing random."""
    key = bytes(range(32))
    master_key = bytes(range(0x40, 0x60))
    group_key = bytes(range(0x80, 0xA0))
    data_key = bytes(range(0xC0, 0xE0))
    nonce = bytes.fromhex("000102030405060708090a0b")
    prefix = bytes.fromhex("a0a1a2a3a4a5a6")
    stream_aad = b"document:42:version:1"

    field_plaintext = "Threat assessment \u2013 Q3 (TLP:AMBER)".encode()
    platform_plaintext = b"JBSWY3DPEHPK3PXP"
    platform_key = envelope.derive_platform_key(master_key, "totp")

    return {
        "format": "EMISA crypto test vectors v1; layouts in docs/crypto.md",
        "aead": [
            {
                "key": key.hex(),
                "nonce": nonce.hex(),
                "aad": b"row:1".hex(),
                "plaintext": b"hello".hex(),
                "sealed": aead.seal(key, b"hello", b"row:1", nonce=nonce).hex(),
            }
        ],
        "stream": [
            _stream_vector("empty", key, prefix, stream_aad, b"", True),
            _stream_vector("one byte", key, prefix, stream_aad, b"A", True),
            _stream_vector(
                "short text", key, prefix, stream_aad, b"EMISA segmented AES-256-GCM\n", True
            ),
            _stream_vector("exactly one segment", key, prefix, stream_aad, _pattern(65536), False),
            _stream_vector("one segment plus one", key, prefix, stream_aad, _pattern(65537), False),
            _stream_vector("three segments", key, prefix, b"", _pattern(2 * 65536 + 100), False),
        ],
        "field": [
            {
                "group_key": group_key.hex(),
                "group_key_version": 3,
                "aad": "document:7:title",
                "nonce": nonce.hex(),
                "plaintext": field_plaintext.hex(),
                "blob": envelope.seal_versioned(
                    AESGCM(group_key),
                    3,
                    field_plaintext,
                    envelope.field_aad("document:7:title"),
                    nonce=nonce,
                ).hex(),
            }
        ],
        "data_key": [
            {
                "group_key": group_key.hex(),
                "group_key_version": 3,
                "aad": "document-version:11",
                "nonce": nonce.hex(),
                "data_key": data_key.hex(),
                "wrapped": envelope.seal_versioned(
                    AESGCM(group_key),
                    3,
                    data_key,
                    envelope.data_key_aad("document-version:11"),
                    nonce=nonce,
                ).hex(),
            }
        ],
        "group_key": [
            {
                "master_key": master_key.hex(),
                "group_id": 5,
                "version": 2,
                "aad": envelope.group_key_aad(5, 2).decode(),
                "nonce": nonce.hex(),
                "group_key": group_key.hex(),
                "wrapped": aead.seal(
                    master_key, group_key, envelope.group_key_aad(5, 2), nonce=nonce
                ).hex(),
            }
        ],
        "platform": [
            {
                "master_key": master_key.hex(),
                "master_version": 1,
                "purpose": "totp",
                "subkey": platform_key.hex(),
                "nonce": nonce.hex(),
                "plaintext": platform_plaintext.hex(),
                "blob": envelope.seal_versioned(
                    AESGCM(platform_key),
                    1,
                    platform_plaintext,
                    envelope.platform_info("totp"),
                    nonce=nonce,
                ).hex(),
            }
        ],
    }


def render(vectors: dict[str, Any]) -> str:
    return json.dumps(vectors, indent=2) + "\n"


def committed() -> dict[str, Any]:
    return json.loads(VECTOR_FILE.read_text())


def test_vectors_regenerate_identically() -> None:
    assert VECTOR_FILE.read_text() == render(build_vectors())


def test_committed_stream_vectors_decrypt() -> None:
    for vector in committed()["stream"]:
        key = bytes.fromhex(vector["key"])
        aad = bytes.fromhex(vector["aad"])
        if "ciphertext" in vector:
            blob = bytes.fromhex(vector["ciphertext"])
            plaintext = b"".join(decrypt_stream(key, aad, [blob]))
            assert plaintext == bytes.fromhex(vector["plaintext"])
        else:
            plaintext = _pattern(vector["plaintext_size"])
            assert hashlib.sha256(plaintext).hexdigest() == vector["plaintext_sha256"]
            blob = b"".join(
                encrypt_stream(
                    key, aad, [plaintext], nonce_prefix=bytes.fromhex(vector["nonce_prefix"])
                )
            )
            assert hashlib.sha256(blob).hexdigest() == vector["ciphertext_sha256"]
            assert b"".join(decrypt_stream(key, aad, [blob])) == plaintext
        assert len(blob) == vector["ciphertext_size"]


def test_committed_small_blobs_open() -> None:
    vectors = committed()
    for v in vectors["aead"]:
        opened = aead.open_sealed(
            bytes.fromhex(v["key"]), bytes.fromhex(v["sealed"]), bytes.fromhex(v["aad"])
        )
        assert opened == bytes.fromhex(v["plaintext"])
    for v in vectors["field"]:
        blob = bytes.fromhex(v["blob"])
        assert envelope.blob_version(blob) == v["group_key_version"]
        cipher = AESGCM(bytes.fromhex(v["group_key"]))
        opened = envelope.open_versioned(cipher, blob, envelope.field_aad(v["aad"]))
        assert opened == bytes.fromhex(v["plaintext"])
    for v in vectors["data_key"]:
        cipher = AESGCM(bytes.fromhex(v["group_key"]))
        wrapped = bytes.fromhex(v["wrapped"])
        assert len(wrapped) == envelope.WRAPPED_DATA_KEY_SIZE
        opened = envelope.open_versioned(cipher, wrapped, envelope.data_key_aad(v["aad"]))
        assert opened == bytes.fromhex(v["data_key"])
    for v in vectors["group_key"]:
        wrapped = bytes.fromhex(v["wrapped"])
        assert len(wrapped) == envelope.WRAPPED_GROUP_KEY_SIZE
        aad = f"emisa:group-key:{v['group_id']}:{v['version']}".encode()
        opened = aead.open_sealed(bytes.fromhex(v["master_key"]), wrapped, aad)
        assert opened == bytes.fromhex(v["group_key"])
    for v in vectors["platform"]:
        subkey = envelope.derive_platform_key(bytes.fromhex(v["master_key"]), v["purpose"])
        assert subkey.hex() == v["subkey"]
        info = envelope.platform_info(v["purpose"])
        opened = envelope.open_versioned(AESGCM(subkey), bytes.fromhex(v["blob"]), info)
        assert opened == bytes.fromhex(v["plaintext"])


if __name__ == "__main__":
    VECTOR_FILE.parent.mkdir(parents=True, exist_ok=True)
    VECTOR_FILE.write_text(render(build_vectors()))
    print(f"wrote {VECTOR_FILE}")
