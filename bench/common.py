"""Shared benchmark plumbing: start servers the way production does, load them, report.

Loads go over loopback only, with bounded request counts, from separate client processes
(so the client does not share the server's interpreter lock).
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def start_platform(env: dict, port: int, threads: int = 32, root: Path = ROOT) -> subprocess.Popen:
    """``python app.py``: gunicorn, one gthread worker, exactly as the embedded default runs.

    ``root``: another checkout of the platform to serve (its own ``emisa`` is imported)."""
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--threads", str(threads)],
        cwd=root,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    return process


def start_gunicorn(app_spec: str, env: dict, port: int, threads: int = 32) -> subprocess.Popen:
    """Any WSGI app under the same gunicorn settings, for the baselines."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            # Socket.IO connections stay open far longer than a request.
            "--timeout",
            "0",
            # One access line per request, as ``python app.py`` writes.
            "--access-logfile",
            "-",
            app_spec,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    return process


def workspace(prefix: str) -> tuple[Path, str]:
    """A fresh data directory and SQLite URL for one benchmark run."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    return workdir / "data", f"sqlite:///{workdir / 'emisa.db'}"


@contextmanager
def platform_and_baseline(data_dir: Path, database_url: str) -> Iterator[tuple[int, int]]:
    """``python app.py`` and the bare baseline, same gunicorn settings: (platform, bare) ports."""
    env = {"EMISA_DATA_DIR": str(data_dir), "DATABASE_URL": database_url}
    platform_port, bare_port = free_port(), free_port()
    platform = start_platform(env, platform_port)
    try:
        bare = start_gunicorn("bench.bare_app:app", env, bare_port)
        try:
            yield platform_port, bare_port
        finally:
            stop(bare)
    finally:
        stop(platform)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class Stats:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    def line(self, label: str) -> str:
        return (
            f"{label:<44} {self.rps:8.0f} req/s  p50 {self.percentile(0.5):6.1f} ms  "
            f"p99 {self.percentile(0.99):6.1f} ms  errors {self.errors}"
        )


def _client_worker(args) -> tuple[int, list[float]]:
    port, method, path, headers, body, count, connections = args
    import threading

    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def run(n: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        bad = 0
        for _ in range(n):
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    per_thread = count // connections
    threads = [threading.Thread(target=run, args=(per_thread,)) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors, latencies


def load(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict | None = None,
    body: bytes | None = None,
    total: int = 3000,
    concurrency: int = 16,
    processes: int = 2,
) -> Stats:
    """Send ``total`` requests over ``concurrency`` keep-alive connections; time all of them."""
    headers = dict(headers or {})
    per_process = total // processes
    jobs = [
        (port, method, path, headers, body, per_process, max(1, concurrency // processes))
        for _ in range(processes)
    ]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_client_worker, jobs)
    elapsed = time.perf_counter() - started
    latencies = [value for _, values in results for value in values]
    return Stats(len(latencies), sum(errors for errors, _ in results), elapsed, latencies)


def interleaved(runs: dict[str, dict], rounds: int = 3) -> dict[str, Stats]:
    """Load every run once per round, the runs taking turns; per run, the round of median rate.

    ``runs`` maps a label to ``load`` keyword arguments (``port`` and ``path`` included). On
    a shared two-core machine the rate of the same endpoint drifts by a third within
    minutes; taking turns exposes baseline and platform to the same drift, so their ratio
    holds where two back-to-back measurements do not.
    """
    measured: dict[str, list[Stats]] = {label: [] for label in runs}
    for arguments in runs.values():
        if arguments.get("method", "GET") == "GET":
            load(**{**arguments, "total": 200})  # warm-up
    for round_number in range(1, rounds + 1):
        for label, arguments in runs.items():
            stats = load(**arguments)
            measured[label].append(stats)
            print(f"round {round_number}: " + stats.line(label), flush=True)
    medians = {
        label: sorted(results, key=lambda stats: stats.rps)[len(results) // 2]
        for label, results in measured.items()
    }
    for label, stats in medians.items():
        print("median: " + stats.line(label))
    return medians


def signed_in_client(app, email: str, password: str, secret: str):
    """A test client signed in through both real sign-in steps (password, then TOTP)."""
    from tests.support.web import post_form, totp_code

    client = app.test_client()
    post_form(client, "/login", {"email": email, "password": password})
    post_form(client, "/login/code", {"code": totp_code(secret)})
    return client


def bare_client(database_url: str):
    """The baseline app (``bench/bare_app.py``) on ``database_url``, as a test client."""
    os.environ["DATABASE_URL"] = database_url
    from bench.bare_app import app

    return app.test_client()


def cpu_of(client, path: str, headers: dict, rounds: int = 10, per_round: int = 20) -> float:
    """CPU seconds of one request to ``path`` in this process, best of ``rounds``."""
    for _ in range(per_round):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.status_code, answer.location)
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(per_round):
            client.get(path, headers=headers)
        best = min(best, (time.process_time() - start) / per_round)
    return best


def cpu_per_request(runs: dict, rounds: int = 10, per_round: int = 20) -> dict[str, float]:
    """CPU seconds per request in this process, best of ``rounds``: less noisy than HTTP.

    ``runs`` maps a label to ``(test client, path, headers)``; the first one is the baseline
    the others are compared to.
    """
    results = {}
    for label, (client, path, headers) in runs.items():
        best = results[label] = cpu_of(client, path, headers, rounds, per_round)
        print(f"{label:<48} {best * 1000:6.2f} ms CPU per request", flush=True)
    baseline = next(iter(results.values()))
    for label, cost in list(results.items())[1:]:
        print(f"ratio {label:<42} / baseline {baseline / cost:5.2f}")
    return results
