"""Document space benchmark: crypto, the streaming format, HTTP upload/download, memory.

Run: python bench/documents.py [--mib 256] [--memory-mib 1024]. Prints, in one run:

1. raw AES-256-GCM throughput of ``cryptography`` over 64 KiB segments (the limit);
2. the streaming format's encrypt and decrypt throughput and their share of the limit
   (target: 50 % or more);
3. HTTP upload and download of a ``--mib`` file through the production server
   (``python app.py``: gunicorn gthread) against the same path storing plaintext, served
   by a bench-only app below (Werkzeug's multipart parser streaming into a file, fsync,
   rename; download streams the file) on the same gunicorn set-up (target ratio: 0.7);
4. the server worker's peak memory growth (VmHWM against VmRSS before) during a
   ``--memory-mib`` upload (target: under 64 MiB).

MB/s are 10**6 bytes of file content per second. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BLOCK = os.urandom(1024 * 1024)
BOUNDARY = "emisa-bench-boundary-7f3a"


def mbps(size: int, seconds: float) -> float:
    return size / seconds / 1e6


# 1 and 2: crypto in process


def bench_crypto(mib: int) -> tuple[float, float, float]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from emisa.crypto.stream import SEGMENT_SIZE, decrypt_stream, encrypt_stream

    key = AESGCM.generate_key(256)
    data = os.urandom(SEGMENT_SIZE) * (mib * 16)
    size = len(data)
    chunks = [data[i : i + SEGMENT_SIZE] for i in range(0, size, SEGMENT_SIZE)]
    cipher = AESGCM(key)
    nonce = os.urandom(12)

    def raw_run() -> None:
        for chunk in chunks:
            cipher.encrypt(nonce, chunk, b"aad")

    def encrypt_run() -> None:
        for _sealed in encrypt_stream(key, b"aad", chunks):
            pass

    blob = b"".join(encrypt_stream(key, b"aad", chunks))
    reads = [blob[i : i + 1024 * 1024] for i in range(0, len(blob), 1024 * 1024)]

    def decrypt_run() -> None:
        for _plain in decrypt_stream(key, b"aad", reads):
            pass

    # Interleaved, best of five: the machine is shared, drift must hit every case alike.
    times = {"raw": [], "enc": [], "dec": []}
    for _ in range(5):
        for name, fn in (("raw", raw_run), ("enc", encrypt_run), ("dec", decrypt_run)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    raw, enc, dec = (min(times[name]) for name in ("raw", "enc", "dec"))
    return mbps(size, raw), mbps(size, enc), mbps(size, dec)


# 3 and 4: servers


def multipart_parts(fields: dict[str, str], filename: str) -> tuple[bytes, bytes]:
    head = b""
    for name, value in fields.items():
        head += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def upload(port: int, path: str, mib: int, fields: dict, headers: dict) -> tuple[float, dict]:
    head, tail = multipart_parts(fields, "bench.bin")
    length = len(head) + mib * len(BLOCK) + len(tail)

    def body():
        yield head
        for _ in range(mib):
            yield BLOCK
        yield tail

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    start = time.perf_counter()
    conn.request(
        "POST",
        path,
        body=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length),
            **headers,
        },
    )
    response = conn.getresponse()
    answer = response.read()
    elapsed = time.perf_counter() - start
    conn.close()
    if response.status not in (200, 201):
        raise RuntimeError(f"upload failed: {response.status} {answer[:300]!r}")
    return elapsed, json.loads(answer or b"{}")


def download(port: int, path: str, headers: dict) -> tuple[float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    total = 0
    while chunk := response.read(1024 * 1024):
        total += len(chunk)
    elapsed = time.perf_counter() - start
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"download failed: {response.status}")
    return elapsed, total


def wait_for(port: int, process: subprocess.Popen) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_pid(master: int) -> int:
    """gunicorn forks one worker; that is where requests run and memory grows."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def memory_kib(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def start_platform(data_dir: Path) -> tuple[subprocess.Popen, int, str, int]:
    """``python app.py`` on a fresh data dir, with a member and a bearer token."""
    import pyotp

    env = dict(os.environ, EMISA_DATA_DIR=str(data_dir), EMISA_MAX_UPLOAD_BYTES=str(4 * 1024**3))
    env.pop("DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "app", "emisa"]

    def run(*args: str, **kw) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False, **kw
        )
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()[-500:]}")
        return done

    run("init-db")
    # Until the integration migration includes the document tables, add any missing ones.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from app import app\nfrom emisa.extensions import db\n"
            "with app.app_context(): db.create_all()",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    out = (
        run(
            "create-user",
            "--email",
            "bench@police.example",
            "--name",
            "Bench",
            "--country",
            "BE",
            "--organisation",
            "Bench",
            input="correct horse battery staple quietly\n",
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    secret = pyotp.parse_uri(out).secret
    group = int(run("create-group", "--name", "Bench group").stdout.strip().splitlines()[-1])
    run("add-member", "--group", str(group), "--email", "bench@police.example", "--role", "member")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--threads", "8"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(data_dir / "server.log", "wb"),  # noqa: SIM115
    )
    wait_for(port, process)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request(
        "POST",
        "/api/v1/auth/token",
        body=json.dumps(
            {
                "email": "bench@police.example",
                "password": "correct horse battery staple quietly",
                "otp": pyotp.TOTP(secret).now(),
            }
        ),
        headers={"Content-Type": "application/json"},
    )
    token = json.loads(conn.getresponse().read())["token"]
    return process, port, token, group


# The plaintext baseline: bench-only, never part of the product.


def plain_app(store: Path):
    from flask import Flask, Response, jsonify, request

    app = Flask("plain-baseline")

    class Sink:
        def __init__(self):
            self.tmp = store / f".tmp-{os.urandom(8).hex()}"
            self.file = open(self.tmp, "wb")  # noqa: SIM115

        def write(self, data):
            return self.file.write(data)

        def seek(self, *args):
            return 0

        def finish(self, final: Path):
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.rename(self.tmp, final)

    class PlainRequest(app.request_class):
        def _get_file_stream(self, *args, **kwargs):
            self.sink = Sink()
            return self.sink

    app.request_class = PlainRequest

    @app.post("/upload")
    def upload_view():
        request.form  # noqa: B018
        name = os.urandom(8).hex()
        request.sink.finish(store / name)
        return jsonify(id=name), 201

    @app.get("/files/<name>")
    def download_view(name):
        path = store / name

        def stream():
            with open(path, "rb") as handle:
                while chunk := handle.read(1024 * 1024):
                    yield chunk

        return Response(
            stream(),
            mimetype="application/octet-stream",
            headers={"Content-Length": str(path.stat().st_size)},
        )

    return app


def serve_plain(port: int, store: Path) -> None:
    from gunicorn.app.base import BaseApplication

    application = plain_app(store)

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"127.0.0.1:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 8)
            self.cfg.set("timeout", 0)

        def load(self):
            return application

    Server().run()


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def row(label: str, rate: float, ratio: float | None = None, target: float | None = None):
    line = f"{label:<48} {rate:8.0f} MB/s"
    if ratio is not None:
        line += f"  ratio {ratio:.2f} (target >= {target:.2f})"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--memory-mib", type=int, default=1024)
    parser.add_argument("--serve-plain", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_plain:
        serve_plain(int(args.serve_plain[0]), Path(args.serve_plain[1]))
        return

    raw, enc, dec = bench_crypto(64)
    row("raw AES-256-GCM, 64 KiB segments (the limit)", raw)
    row("stream encrypt", enc, enc / raw, 0.5)
    row("stream decrypt", dec, dec / raw, 0.5)

    size = args.mib * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="emisa-bench-") as tmp:
        tmp_path = Path(tmp)
        process, port, token, group = start_platform(tmp_path / "platform")
        auth = {"Authorization": f"Bearer {token}"}
        fields = {"title": "Bench", "tlp": "TLP:AMBER"}
        try:
            upload(port, f"/api/v1/groups/{group}/documents", 1, fields, auth)  # warm-up
            worker = worker_pid(process.pid)
            before = memory_kib(worker)
            upload(port, f"/api/v1/groups/{group}/documents", args.memory_mib, fields, auth)
            after = memory_kib(worker)
            growth = (after["VmHWM"] - before["VmRSS"]) / 1024
            up_s, body = upload(port, f"/api/v1/groups/{group}/documents", args.mib, fields, auth)
            down_s, got = download(port, f"/api/v1/documents/{body['id']}/content", auth)
            assert got == size, (got, size)
        except Exception:
            log = (tmp_path / "platform" / "server.log").read_text(errors="replace")
            print("server log:\n" + log[-3000:], file=sys.stderr)
            raise
        finally:
            stop(process)

        plain_dir = tmp_path / "plain"
        plain_dir.mkdir()
        plain_port = free_port()
        plain = subprocess.Popen(
            [sys.executable, __file__, "--serve-plain", str(plain_port), str(plain_dir)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(plain_port, plain)
            upload(plain_port, "/upload", 1, fields, {})
            plain_up_s, plain_body = upload(plain_port, "/upload", args.mib, fields, {})
            plain_down_s, got = download(plain_port, f"/files/{plain_body['id']}", {})
            assert got == size
        finally:
            stop(plain)

    up, down = mbps(size, up_s), mbps(size, down_s)
    plain_up, plain_down = mbps(size, plain_up_s), mbps(size, plain_down_s)
    row(f"HTTP upload {args.mib} MiB, plaintext baseline", plain_up)
    row(f"HTTP upload {args.mib} MiB, encrypted", up, up / plain_up, 0.7)
    row(f"HTTP download {args.mib} MiB, plaintext baseline", plain_down)
    row(f"HTTP download {args.mib} MiB, encrypted", down, down / plain_down, 0.7)
    print(
        f"server peak memory growth during a {args.memory_mib} MiB upload: {growth:.1f} MiB "
        f"(VmRSS before {before['VmRSS'] / 1024:.1f} MiB, "
        f"VmHWM after {after['VmHWM'] / 1024:.1f} MiB; target < 64 MiB)"
    )


if __name__ == "__main__":
    main()
