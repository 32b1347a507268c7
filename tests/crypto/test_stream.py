"""The segmented file format: round trips, size arithmetic and every kind of tampering."""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from emisa.crypto.errors import CryptoError, IntegrityFailure
from emisa.crypto.stream import (
    HEADER_SIZE,
    SEALED_SEGMENT_SIZE,
    SEGMENT_SIZE,
    StreamDecryptor,
    StreamEncryptor,
    ciphertext_size,
    decrypt_stream,
    encrypt_stream,
    iter_chunks,
    iter_encrypted,
    plaintext_size,
    verify_stream,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AAD = b"document:42:version:3"
PREFIX = bytes.fromhex("0102030405060708")[:7]
MIB = 1024 * 1024


def pattern(size: int) -> bytes:
    """Non-repeating-per-segment content, so a swapped segment cannot decrypt to the same bytes."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


def pieces(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    """Cut ``data`` into pieces cycling through ``sizes``."""
    pos = 0
    i = 0
    while pos < len(data):
        step = sizes[i % len(sizes)]
        yield data[pos : pos + step]
        pos += step
        i += 1


def encrypt(data: bytes, aad: bytes = AAD, key: bytes = KEY, sizes: list[int] | None = None):
    chunks = pieces(data, sizes or [SEGMENT_SIZE])
    return b"".join(encrypt_stream(key, aad, chunks, nonce_prefix=PREFIX))


def decrypt(blob: bytes, aad: bytes = AAD, key: bytes = KEY, sizes: list[int] | None = None):
    return b"".join(decrypt_stream(key, aad, pieces(blob, sizes or [SEALED_SEGMENT_SIZE])))


def segments(blob: bytes) -> list[bytes]:
    body = blob[HEADER_SIZE:]
    return [body[i : i + SEALED_SEGMENT_SIZE] for i in range(0, len(body), SEALED_SEGMENT_SIZE)]


ROUND_TRIP_SIZES = [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE]
CHUNKINGS = [
    [MIB],
    [1000],
    [SEGMENT_SIZE],
    [SEALED_SEGMENT_SIZE],
    [7, SEGMENT_SIZE, 100_003, 1, 3 * SEGMENT_SIZE],
]


@pytest.mark.parametrize("size", ROUND_TRIP_SIZES)
@pytest.mark.parametrize("chunking", CHUNKINGS, ids=lambda c: "-".join(map(str, c)))
def test_round_trip(size: int, chunking: list[int]) -> None:
    data = pattern(size)
    blob = b"".join(encrypt_stream(KEY, AAD, pieces(data, chunking)))
    assert len(blob) == ciphertext_size(size)
    assert plaintext_size(len(blob)) == size
    assert decrypt(blob, sizes=chunking) == data
    assert verify_stream(KEY, AAD, pieces(blob, chunking)) == size


def test_round_trip_10_mib_with_odd_chunks() -> None:
    data = os.urandom(10 * MIB)
    blob = b"".join(encrypt_stream(KEY, AAD, pieces(data, [12_345, 200_000, 1, 65_537])))
    assert len(blob) == ciphertext_size(len(data)) == len(data) + HEADER_SIZE + 160 * 16
    assert decrypt(blob, sizes=[99_999, 7, SEALED_SEGMENT_SIZE * 3]) == data
    assert decrypt(blob, sizes=[len(blob)]) == data


def test_one_byte_chunks() -> None:
    data = pattern(SEGMENT_SIZE + 3)
    blob = encrypt(data, sizes=[1])
    assert blob == encrypt(data)
    assert decrypt(blob, sizes=[1]) == data


def test_decrypt_yields_segment_by_segment() -> None:
    data = pattern(2 * SEGMENT_SIZE + 5)
    out = list(decrypt_stream(KEY, AAD, [encrypt(data)]))
    assert [len(p) for p in out] == [SEGMENT_SIZE, SEGMENT_SIZE, 5]


def test_empty_file_is_one_empty_last_segment() -> None:
    blob = encrypt(b"")
    assert len(blob) == HEADER_SIZE + 16
    assert list(decrypt_stream(KEY, AAD, [blob])) == []
    assert verify_stream(KEY, AAD, [blob]) == 0


def test_full_last_segment_is_not_followed_by_an_empty_one() -> None:
    blob = encrypt(pattern(2 * SEGMENT_SIZE))
    assert [len(s) for s in segments(blob)] == [SEALED_SEGMENT_SIZE] * 2


def test_push_api_matches_encrypt_stream() -> None:
    data = pattern(2 * SEGMENT_SIZE + 10)
    enc = StreamEncryptor(KEY, AAD, nonce_prefix=PREFIX)
    out = [enc.header]
    assert enc.update(data[:SEGMENT_SIZE]) == b""  # held back: it may be the last segment
    out.append(enc.update(data[SEGMENT_SIZE:]))
    out.append(enc.finalize())
    assert b"".join(out) == encrypt(data)
    assert enc.plaintext_size == len(data)
    with pytest.raises(CryptoError):
        enc.finalize()
    with pytest.raises(CryptoError):
        enc.update(b"x")


def test_push_decryptor() -> None:
    data = pattern(SEGMENT_SIZE + 10)
    blob = encrypt(data)
    dec = StreamDecryptor(KEY, AAD)
    got = dec.update(blob[:5]) + dec.update(blob[5:]) + dec.finalize()
    assert got == data
    assert dec.plaintext_size == len(data)


def test_mutable_input_buffers_are_copied() -> None:
    buf = bytearray(pattern(100))
    enc = StreamEncryptor(KEY, AAD, nonce_prefix=PREFIX)
    enc.update(buf)
    enc.update(memoryview(b"tail"))
    buf[:] = bytes(100)  # the caller reuses its buffer
    blob = enc.header + enc.finalize()
    assert decrypt(blob) == pattern(100) + b"tail"


def test_random_prefix_differs_per_stream() -> None:
    first = StreamEncryptor(KEY, AAD).header
    second = StreamEncryptor(KEY, AAD).header
    assert first[:9] == second[:9] == b"EMS1\x01" + struct.pack(">I", SEGMENT_SIZE)
    assert first[9:] != second[9:]


def test_documented_nonce_and_aad_layout() -> None:
    """Open the first and last segment with raw AES-GCM, as a second implementation would."""
    data = pattern(SEGMENT_SIZE + 1)
    blob = encrypt(data)
    header = blob[:HEADER_SIZE]
    assert header == b"EMS1" + b"\x01" + b"\x00\x01\x00\x00" + PREFIX
    first, last = segments(blob)
    cipher = AESGCM(KEY)
    nonce0 = PREFIX + (0).to_bytes(4, "big") + b"\x00"
    nonce1 = PREFIX + (1).to_bytes(4, "big") + b"\x01"
    assert cipher.decrypt(nonce0, first, header + AAD) == data[:SEGMENT_SIZE]
    assert cipher.decrypt(nonce1, last, header + AAD) == data[SEGMENT_SIZE:]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, HEADER_SIZE + 16),
        (1, HEADER_SIZE + 17),
        (SEGMENT_SIZE - 1, HEADER_SIZE + SEGMENT_SIZE + 15),
        (SEGMENT_SIZE, HEADER_SIZE + SEGMENT_SIZE + 16),
        (SEGMENT_SIZE + 1, HEADER_SIZE + SEGMENT_SIZE + 1 + 32),
        (10 * MIB, HEADER_SIZE + 10 * MIB + 160 * 16),
    ],
)
def test_overhead_formula(size: int, expected: int) -> None:
    assert ciphertext_size(size) == expected
    assert plaintext_size(expected) == size


def test_every_size_maps_back() -> None:
    for size in [*range(0, 40), *range(SEGMENT_SIZE - 20, SEGMENT_SIZE * 2 + 40)]:
        assert plaintext_size(ciphertext_size(size)) == size


@pytest.mark.parametrize(
    "bad",
    [
        0,
        HEADER_SIZE + 15,
        HEADER_SIZE + SEALED_SEGMENT_SIZE + 5,  # a tail shorter than a tag
        HEADER_SIZE + SEALED_SEGMENT_SIZE + 16,  # an empty segment after a full one
    ],
)
def test_impossible_ciphertext_sizes(bad: int) -> None:
    with pytest.raises(IntegrityFailure):
        plaintext_size(bad)


def test_negative_sizes_are_bugs() -> None:
    with pytest.raises(ValueError):
        ciphertext_size(-1)
    with pytest.raises(ValueError):
        plaintext_size(-1)


# Tampering. A three-segment file: two full segments and a short last one.
DATA3 = pattern(2 * SEGMENT_SIZE + 100)


@pytest.fixture(scope="module")
def blob3() -> bytes:
    return encrypt(DATA3)


def fails(blob: bytes, aad: bytes = AAD, key: bytes = KEY) -> str:
    with pytest.raises(IntegrityFailure) as first:
        decrypt(blob, aad=aad, key=key)
    with pytest.raises(IntegrityFailure):
        verify_stream(key, aad, [blob])
    return str(first.value)


def test_untampered_three_segment_file(blob3: bytes) -> None:
    assert decrypt(blob3) == DATA3
    assert [len(s) for s in segments(blob3)] == [SEALED_SEGMENT_SIZE] * 2 + [116]


def test_truncation_dropping_last_segment(blob3: bytes) -> None:
    assert "last segment" in fails(blob3[: HEADER_SIZE + 2 * SEALED_SEGMENT_SIZE])
    assert "last segment" in fails(blob3[: HEADER_SIZE + SEALED_SEGMENT_SIZE])


@pytest.mark.parametrize(
    "cut",
    [
        0,
        1,
        HEADER_SIZE - 1,
        HEADER_SIZE,
        HEADER_SIZE + 10,
        HEADER_SIZE + SEALED_SEGMENT_SIZE - 1,
        HEADER_SIZE + SEALED_SEGMENT_SIZE + 15,
        HEADER_SIZE + SEALED_SEGMENT_SIZE + 17,
        -1,
        -16,
        -17,
    ],
)
def test_truncation_mid_segment(blob3: bytes, cut: int) -> None:
    fails(blob3[:cut])


def test_reordered_segments(blob3: bytes) -> None:
    s0, s1, s2 = segments(blob3)
    header = blob3[:HEADER_SIZE]
    assert "segment 0" in fails(header + s1 + s0 + s2)


def test_last_segment_moved_forward(blob3: bytes) -> None:
    s0, _s1, s2 = segments(blob3)
    fails(blob3[:HEADER_SIZE] + s0 + s2)


def test_extension_with_bytes(blob3: bytes) -> None:
    fails(blob3 + b"\x00")
    fails(blob3 + bytes(16))
    fails(blob3 + os.urandom(SEALED_SEGMENT_SIZE))


def test_extension_with_a_genuine_segment() -> None:
    """Same key, prefix and aad: a longer file's next segment still cannot be appended."""
    short = encrypt(pattern(SEGMENT_SIZE + 100))
    longer = encrypt(pattern(2 * SEGMENT_SIZE + 100))
    assert segments(short)[0] == segments(longer)[0]
    fails(short + segments(longer)[2])
    fails(short + segments(short)[1])


def test_duplicated_segment(blob3: bytes) -> None:
    s0, s1, s2 = segments(blob3)
    fails(blob3[:HEADER_SIZE] + s0 + s0 + s1 + s2)


FLIP_POSITIONS = {
    "magic": 0,
    "version": 4,
    "segment-size": 7,
    "nonce-prefix": 12,
    "segment0-ciphertext": HEADER_SIZE + 5,
    "segment0-tag": HEADER_SIZE + SEALED_SEGMENT_SIZE - 1,
    "segment1-ciphertext": HEADER_SIZE + SEALED_SEGMENT_SIZE + 1000,
    "segment1-tag": HEADER_SIZE + 2 * SEALED_SEGMENT_SIZE - 16,
    "last-ciphertext": HEADER_SIZE + 2 * SEALED_SEGMENT_SIZE,
    "last-tag": -1,
}


@pytest.mark.parametrize("where", FLIP_POSITIONS)
def test_flipped_byte(blob3: bytes, where: str) -> None:
    tampered = bytearray(blob3)
    tampered[FLIP_POSITIONS[where]] ^= 0x01
    fails(bytes(tampered))


def test_no_plaintext_from_a_tampered_segment(blob3: bytes) -> None:
    tampered = bytearray(blob3)
    tampered[HEADER_SIZE + SEALED_SEGMENT_SIZE + 3] ^= 0x80
    out = []
    with pytest.raises(IntegrityFailure):
        for part in decrypt_stream(KEY, AAD, [bytes(tampered)]):
            out.append(part)
    assert out == [DATA3[:SEGMENT_SIZE]]  # only the authentic segment before it


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"EMS2\x01\x00\x01\x00\x00" + PREFIX, "magic"),
        (b"EMS1\x02\x00\x01\x00\x00" + PREFIX, "version"),
        (b"EMS1\x01\xff\xff\xff\xff" + PREFIX, "segment size"),
        (b"EMS1\x01\x00\x00\x10\x00" + PREFIX, "segment size"),
    ],
)
def test_bad_header(blob3: bytes, header: bytes, message: str) -> None:
    assert message in fails(header + blob3[HEADER_SIZE:])


def test_wrong_aad(blob3: bytes) -> None:
    fails(blob3, aad=b"document:42:version:4")
    fails(blob3, aad=b"")


def test_wrong_key(blob3: bytes) -> None:
    fails(blob3, key=OTHER_KEY)


def test_empty_input() -> None:
    assert "header" in fails(b"")


def test_non_canonical_empty_trailing_segment() -> None:
    """A key holder could build it, our encoder never does: refuse a second encoding."""
    enc = StreamEncryptor(KEY, AAD, nonce_prefix=PREFIX)
    cipher = AESGCM(KEY)
    full = cipher.encrypt(PREFIX + b"\x00\x00\x00\x00\x00", pattern(SEGMENT_SIZE), enc.header + AAD)
    empty = cipher.encrypt(PREFIX + b"\x00\x00\x00\x01\x01", b"", enc.header + AAD)
    assert "empty trailing" in fails(enc.header + full + empty)


def test_decryptor_refuses_input_after_failure(blob3: bytes) -> None:
    dec = StreamDecryptor(KEY, AAD)
    tampered = bytearray(blob3)
    tampered[HEADER_SIZE] ^= 1
    with pytest.raises(IntegrityFailure):
        dec.update(bytes(tampered))
    with pytest.raises(IntegrityFailure):
        dec.update(b"")
    with pytest.raises(IntegrityFailure):
        dec.finalize()


def test_key_and_prefix_sizes_are_checked() -> None:
    with pytest.raises(ValueError):
        StreamEncryptor(KEY[:16], AAD)
    with pytest.raises(ValueError):
        StreamDecryptor(KEY + b"x", AAD)
    with pytest.raises(ValueError):
        StreamEncryptor(KEY, AAD, nonce_prefix=b"short")


def test_file_helpers(tmp_path) -> None:
    data = pattern(3 * SEGMENT_SIZE + 7)
    plain = tmp_path / "plain"
    plain.write_bytes(data)
    with plain.open("rb") as handle:
        chunks = list(iter_chunks(handle))
    assert [len(c) for c in chunks] == [SEGMENT_SIZE] * 3 + [7]
    path = tmp_path / "blob"
    path.write_bytes(encrypt(data))
    with path.open("rb") as handle:
        chunks = list(iter_encrypted(handle))
    assert [len(c) for c in chunks] == [HEADER_SIZE] + [SEALED_SEGMENT_SIZE] * 3 + [23]
    assert b"".join(decrypt_stream(KEY, AAD, chunks)) == data
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with empty.open("rb") as handle:
        assert list(iter_encrypted(handle)) == []
