"""Throughput of the file format against raw AES-256-GCM over 64 KiB segments.

Run: python bench/crypto_raw.py [--mib 64] [--repeat 5]. Reports the best of
``repeat`` interleaved runs in MB/s (10**6 bytes of plaintext per second) and
the stream's share of the raw rate; the target is at least 50 %. Input chunks
are bytes, as file reads and upload parsers deliver them.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from emisa.crypto.stream import (
    HEADER_SIZE,
    SEALED_SEGMENT_SIZE,
    SEGMENT_SIZE,
    decrypt_stream,
    encrypt_stream,
)


def measure(cases: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    """Best time per case; cases are interleaved so drift in CPU speed hits them alike."""
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeat):
        for label, fn in cases.items():
            start = time.perf_counter()
            fn()
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=64, help="plaintext size per run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    key = os.urandom(32)
    aad = b"document:1:version:1"
    data = os.urandom(args.mib * 1024 * 1024)
    segments = [data[i : i + SEGMENT_SIZE] for i in range(0, len(data), SEGMENT_SIZE)]
    cipher = AESGCM(key)
    nonce = os.urandom(12)
    sealed = [cipher.encrypt(nonce, s, aad) for s in segments]
    blob = b"".join(encrypt_stream(key, aad, segments))
    # As iter_encrypted reads a file: the header, then one sealed segment per read.
    body = range(HEADER_SIZE, len(blob), SEALED_SEGMENT_SIZE)
    blob_chunks = [blob[:HEADER_SIZE]] + [blob[i : i + SEALED_SEGMENT_SIZE] for i in body]
    # Fixed-size reads that straddle segment boundaries, for comparison.
    blocks = range(0, len(blob), SEALED_SEGMENT_SIZE)
    block_chunks = [blob[i : i + SEALED_SEGMENT_SIZE] for i in blocks]
    mib_chunks = [data[i : i + 1024 * 1024] for i in range(0, len(data), 1024 * 1024)]
    n = len(data)

    def raw_encrypt() -> None:
        for segment in segments:
            cipher.encrypt(nonce, segment, aad)

    def raw_decrypt() -> None:
        for segment in sealed:
            cipher.decrypt(nonce, segment, aad)

    def drain(iterator) -> Callable[[], None]:
        def run() -> None:
            for _ in iterator():
                pass

        return run

    cases = {
        "raw AESGCM encrypt, 64 KiB segments": raw_encrypt,
        "raw AESGCM decrypt, 64 KiB segments": raw_decrypt,
        "stream encrypt, 64 KiB input chunks": drain(lambda: encrypt_stream(key, aad, segments)),
        "stream encrypt, 1 MiB input chunks": drain(lambda: encrypt_stream(key, aad, mib_chunks)),
        "stream decrypt, segment-aligned reads": drain(
            lambda: decrypt_stream(key, aad, blob_chunks)
        ),
        "stream decrypt, unaligned 64 KiB+16 reads": drain(
            lambda: decrypt_stream(key, aad, block_chunks)
        ),
    }
    best = measure(cases, args.repeat)
    rate = {label: n / seconds / 1e6 for label, seconds in best.items()}
    print(f"{args.mib} MiB of plaintext, best of {args.repeat}, {os.cpu_count()} CPUs")
    for label, value in rate.items():
        print(f"  {label:<42} {value:8.0f} MB/s")
    raw_enc, raw_dec, enc, enc_mib, dec, dec_block = rate.values()
    print(f"  stream/raw encrypt {enc / raw_enc:.0%} (1 MiB chunks {enc_mib / raw_enc:.0%})")
    print(f"  stream/raw decrypt {dec / raw_dec:.0%} (unaligned reads {dec_block / raw_dec:.0%})")


if __name__ == "__main__":
    main()
