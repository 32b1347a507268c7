"""PostgreSQL restarted under a running server: fast, clear 503s while it is down, and the
server recovers by itself. Runs on a throwaway PostgreSQL cluster of its own, never the
machine's, so other test runs are not disturbed."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from tests.conftest import bearer, free_port, start_server, stop_server


def as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)


class Cluster:
    """A PostgreSQL cluster in a temporary directory, on a port of its own."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if os.geteuid() != 0 or not binaries:
            pytest.skip("a throwaway PostgreSQL cluster needs root and Debian's PostgreSQL")
        self.bin = binaries[-1]
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="emisa-pg-")
        shutil.chown(self.directory, "postgres", "postgres")
        as_postgres(f"{self.bin}/initdb", "-D", self.directory, "-A", "trust", "-U", "postgres")
        self.start()
        as_postgres(
            f"{self.bin}/createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "emisa",
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/emisa"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        as_postgres(
            f"{self.bin}/pg_ctl",
            "-D",
            self.directory,
            "-o",
            options,
            "-l",
            f"{self.directory}/log",
            "-w",
            "start",
        )

    def stop(self) -> None:
        as_postgres(f"{self.bin}/pg_ctl", "-D", self.directory, "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                f"{self.bin}/pg_ctl",
                "-D",
                self.directory,
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def cluster(app_config):
    cluster = Cluster()
    app_config["SQLALCHEMY_DATABASE_URI"] = cluster.url
    yield cluster
    cluster.remove()


def test_postgresql_restart_gives_fast_503s_then_recovers_without_a_restart(
    cluster, app_config, request
):
    make_user, make_group = (
        request.getfixturevalue("make_user"),
        request.getfixturevalue("make_group"),
    )
    app = request.getfixturevalue("app")
    from tests.access.world import api_sign_in

    member = make_user()
    group = make_group(members={member: "member"})
    token = api_sign_in(app, member)
    with app.app_context():
        from emisa.extensions import db

        db.engine.dispose()  # the test's own connections must not keep the cluster busy
    port = free_port()
    server = start_server(app_config, port)
    base = f"http://127.0.0.1:{port}"
    try:
        assert requests.get(f"{base}/api/v1/me", headers=bearer(token), timeout=10).ok
        cluster.stop()
        for _ in range(3):
            started = time.monotonic()
            answer = requests.get(f"{base}/api/v1/me", headers=bearer(token), timeout=10)
            assert time.monotonic() - started < 3
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "service_unavailable"
            assert "cannot reach its database" in answer.json()["error"]["message"]
            assert answer.headers["Retry-After"]
        page = requests.get(f"{base}/api/v1/groups/{group}", headers=bearer(token), timeout=10)
        assert page.status_code == 503

        cluster.start()
        deadline = time.monotonic() + 20
        while True:
            answer = requests.get(f"{base}/api/v1/me", headers=bearer(token), timeout=10)
            if answer.status_code == 200:
                break
            assert answer.status_code == 503 and time.monotonic() < deadline
            time.sleep(0.2)
        thread = requests.post(
            f"{base}/api/v1/groups/{group}/threads",
            json={"title": "After the restart", "body": "Still here", "tlp": "TLP:AMBER"},
            headers=bearer(token),
            timeout=10,
        )
        assert thread.status_code == 201, thread.text
    finally:
        stop_server(server)
