"""Load benchmark: a working day of 2,000 accounts in 8 groups, one process against two.

    python -m bench.load                                   # the full profile, on PostgreSQL
    python -m bench.load --one-steps 20,40,80 --two-steps 80,160 --step-seconds 30   # short

Not part of the test suite. What it does, in order:

1. Seeds ``--accounts`` accounts (default 2,000) spread over the eight EMISA working groups
   in process, through the platform's own operations, in batches: one Argon2 hash for all of
   them (the same benchmark password), a known TOTP secret per account (derived from its
   number), a membership each, a few threads and documents per group and one open meeting
   per group. The database (``--database-url``, default the scratch ``emisa_load``) is
   dropped and created again first; Redis (``--redis-url``, database 5) is flushed.
2. Serves the platform as production does (``gunicorn -c config/gunicorn.conf.py``, one
   worker with threads per process, ``DATABASE_URL`` and ``EMISA_REDIS_URL`` shared). Two
   processes run on two ports, as the README's Production section documents (nginx pins each
   client to one with ``ip_hash``); here Locust pins each simulated person to one port
   instead of a proxy, so no proxy process competes for the two cores. Every person comes
   from their own address (``X-Forwarded-For``, ``EMISA_TRUSTED_PROXIES=1``, as behind
   nginx), so the per-address limits see people, not the load generator.
3. Steps the number of simultaneous people with Locust (each one an account: sign-in with
   password and TOTP in the browser, an API token with the next TOTP code, then a day of
   dashboard, thread reads and replies, document lists, downloads and uploads, search and
   a visit to the group's meeting to chat over Socket.IO, with ``--think`` seconds between
   actions). Each step runs in its own Locust process (``--drive``) for ``--step-seconds``
   after every person has signed in; sign-ins are reported from the ramp-up.
4. One process at ``--one-steps`` finds the load it sustains (no error, p99 of every action
   under one second); two processes run at that load and at ``--two-steps`` above it. The
   ratio is the most requests per second two processes sustain over the most one does.
5. Checks that no acknowledged write is lost: every post, upload and chat message a server
   answered as done is read back from the database and decrypted (uploads byte for byte).

Reported per step: throughput, p50/p99 per action, errors, the CPU seconds taken by the
servers and by the load generator (which shares the machine), and the load average.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, wait_for_port

PASSWORD = "load benchmark passphrase"
COMMON = "probation"  # in seeded threads and documents: the word people search for
P99_LIMIT_MS = 1000
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/emisa_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"


def totp_secret(number: int) -> str:
    """The known TOTP secret of account ``number``: the load generator computes its codes."""
    digest = hashlib.sha256(f"emisa-load-{number}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()


def email_of(number: int) -> str:
    return f"person{number}@load.example"


# Seeding, in process


def _fresh_database(database_url: str) -> None:
    name = database_url.rsplit("/", 1)[1]
    for statement in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(
            ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", statement], check=True
        )


def _flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def seed(env: dict, accounts: int, per_group: int, batch: int = 250) -> dict:
    """Accounts, memberships, content and open meetings; returns what the people need."""
    from datetime import timedelta

    from bench.growth import upload_document
    from emisa import create_app
    from emisa.access.markings import Tlp
    from emisa.accounts import totp
    from emisa.accounts.models import User
    from emisa.accounts.passwords import hash_password
    from emisa.database import commit
    from emisa.discussions import operations as discussions
    from emisa.documents.operations import validate_marking
    from emisa.extensions import db
    from emisa.groups.models import WorkingGroup
    from emisa.groups.operations import add_member
    from emisa.meetings import operations as meetings
    from emisa.platform import prepare_platform
    from emisa.timeutil import utcnow

    os.environ.update(env)
    app = create_app()
    prepare_platform(app)
    password_hash = hash_password(PASSWORD)
    with app.test_request_context():
        groups = db.session.scalars(db.select(WorkingGroup).order_by(WorkingGroup.id)).all()
        people = []
        for number in range(accounts):
            group = groups[number % len(groups)]
            user = User(
                email=email_of(number),
                name=f"Person {number}",
                organisation="Load benchmark agency",
                country="BE",
                state="active",
                password_hash=password_hash,
                totp_secret=totp.seal_secret(totp_secret(number)),
                totp_enrolled_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            role = "coordinator" if number < len(groups) else "member"
            add_member(group, user, role, by=None, tell=False)
            people.append({"number": number, "email": user.email, "group_id": group.id})
            if number % batch == batch - 1:
                commit()
        commit()
        content = {}
        start = utcnow()
        for index, group in enumerate(groups):
            coordinator = db.session.get(
                User, db.session.scalar(db.select(User.id).where(User.email == email_of(index)))
            )
            threads = [
                discussions.create_thread(
                    group,
                    coordinator,
                    f"Thread {n} about {COMMON}",
                    f"How does your {COMMON} service screen returnees?",
                    "TLP:AMBER",
                ).id
                for n in range(per_group)
            ]
            marking = validate_marking(group, coordinator, tlp=Tlp.AMBER)
            documents = [
                upload_document(group, coordinator, f"Document {n} on {COMMON}", marking).id
                for n in range(per_group)
            ]
            meeting = meetings.create_meeting(
                group,
                meetings.MeetingInput(
                    "Daily meeting",
                    start,
                    start + timedelta(days=1),
                    [],
                    "TLP:AMBER",
                    [],
                    [],
                ),
                coordinator,
            )
            meeting.state = "open"
            commit()
            content[group.id] = {
                "threads": threads,
                "documents": documents,
                "meeting_id": meeting.id,
            }
        db.engine.dispose()
    return {"people": people, "groups": {str(gid): c for gid, c in content.items()}}


def verify_writes(env: dict, acknowledged: list[dict]) -> dict:
    """Read back every acknowledged write from the database; count the missing or wrong."""
    from emisa import create_app
    from emisa.accounts.models import User
    from emisa.discussions.models import Post
    from emisa.discussions.operations import post_source
    from emisa.documents.models import Document
    from emisa.documents.operations import open_content
    from emisa.extensions import db
    from emisa.meetings.models import ChatMessage
    from emisa.meetings.operations import chat_view

    os.environ.update(env)
    app = create_app()
    counts = {"post": 0, "upload": 0, "chat": 0}
    lost = []
    with app.test_request_context():
        for write in acknowledged:
            kind = write["kind"]
            counts[kind] += 1
            if kind == "post":
                post = db.session.get(Post, write["id"])
                good = post is not None and post_source(post) == write["text"]
            elif kind == "chat":
                message = db.session.get(ChatMessage, write["id"])
                good = message is not None and chat_view(message)["text"] == write["text"]
            else:
                document = db.session.get(Document, write["id"])
                good = document is not None
                if good:
                    uploader = db.session.scalar(
                        db.select(User).where(User.email == write["email"])
                    )
                    _size, chunks = open_content(uploader, document.versions[-1])
                    digest = hashlib.sha256(b"".join(chunks)).hexdigest()
                    good = digest == write["sha256"]
            if not good:
                lost.append(write)
            db.session.expunge_all()
        db.engine.dispose()
    return {"checked": counts, "lost": lost}


# Servers


def start_server(env: dict, port: int) -> subprocess.Popen:
    """One production process: ``gunicorn -c config/gunicorn.conf.py app:app``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env={**os.environ, **env, "EMISA_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    return process


def stop_server(process: subprocess.Popen) -> None:
    """gunicorn's quick shutdown (SIGINT): open WebSockets do not hold it up."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def process_tree_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes and their children."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


# The load generator (a separate process: Locust patches the standard library with gevent)


def drive(args) -> None:
    """Run one step with Locust and write its statistics and acknowledged writes as JSON."""
    import gevent
    import pyotp
    import socketio
    from locust import HttpUser, between, task
    from locust.env import Environment

    plan = json.loads(Path(args.plan).read_text())
    hosts = args.hosts.split(",")
    people = iter(plan["people"][args.first :] + plan["people"][: args.first])
    acknowledged: list[dict] = []
    signed_in = []  # one entry per person whose sign-in has finished

    class Person(HttpUser):
        host = hosts[0]
        wait_time = between(args.think_min, args.think_max)

        def on_start(self):
            person = next(people)
            number = person["number"]
            # Each person keeps one server process, as nginx's ip_hash would pin them.
            self.client.base_url = hosts[number % len(hosts)]
            self.number = number
            self.email = person["email"]
            self.my_group = plan["groups"][str(person["group_id"])]
            self.group_id = person["group_id"]
            self.address = f"10.{number // 65536}.{number // 256 % 256}.{number % 256}"
            self.client.headers["X-Forwarded-For"] = self.address
            # One connection per request, as a proxy that never reuses a connection the
            # server may be closing: gunicorn drops one idle for its ``keepalive`` (5 s), and
            # a request sent on it at that moment is reset (config/nginx.conf closes idle
            # connections to gunicorn sooner for that reason).
            self.client.headers["Connection"] = "close"
            self.uploaded: list[int] = []
            self.last_step = 0
            # A refused sign-in counts as an error and is tried again, as a person would.
            while not self.sign_in():
                gevent.sleep(args.think_max)
            signed_in.append(number)

        def next_step(self) -> int:
            """A TOTP time step newer than the last one used: a code is accepted once."""
            while int(time.time() // 30) + 1 <= self.last_step:
                gevent.sleep(1)
            self.last_step = max(int(time.time() // 30), self.last_step + 1)
            return self.last_step

        def step_passed(self, name: str, path: str, data: dict, expected: int) -> bool:
            with self.client.post(
                path, data=data, name=name, allow_redirects=False, catch_response=True
            ) as answer:
                location = answer.headers.get("Location", "")
                if answer.status_code != expected or location.endswith("/login"):
                    answer.failure(f"answered {answer.status_code}")
                    return False
            return True

        def sign_in(self) -> bool:
            """Password and TOTP in the browser, then an API token with the next code."""
            secret = pyotp.TOTP(totp_secret(self.number))
            self.client.cookies.clear()
            page = self.client.get("/login", name="sign-in: page")
            token = _csrf(page.text)
            if not token or not self.step_passed(
                "sign-in: password",
                "/login",
                {"email": self.email, "password": PASSWORD, "csrf_token": token},
                302,
            ):
                return False
            # Signing in starts a new session: the code form carries its own CSRF token.
            token = _csrf(self.client.get("/login/code", name="sign-in: code page").text)
            code = secret.at(self.next_step() * 30)
            if not token or not self.step_passed(
                "sign-in: code", "/login/code", {"code": code, "csrf_token": token}, 302
            ):
                return False
            answer = self.client.post(
                "/api/v1/auth/token",
                json={
                    "email": self.email,
                    "password": PASSWORD,
                    "otp": secret.at(self.next_step() * 30),
                },
                name="sign-in: API token",
            )
            if answer.status_code != 201:
                return False
            self.token = answer.json()["token"]
            self.api = {"Authorization": f"Bearer {self.token}"}
            return True

        @task(3)
        def dashboard(self):
            self.client.get("/", name="dashboard")

        @task(6)
        def read_thread(self):
            thread = self.my_group["threads"][self.number % len(self.my_group["threads"])]
            self.client.get(f"/api/v1/threads/{thread}", headers=self.api, name="thread read")

        @task(2)
        def post(self):
            thread = self.my_group["threads"][self.number % len(self.my_group["threads"])]
            text = f"Reply from person {self.number} at {time.time():.6f}"
            answer = self.client.post(
                f"/api/v1/threads/{thread}/posts",
                json={"body": text},
                headers=self.api,
                name="post",
            )
            if answer.status_code == 201:
                acknowledged.append({"kind": "post", "id": answer.json()["id"], "text": text})

        @task(3)
        def documents(self):
            self.client.get(
                f"/api/v1/groups/{self.group_id}/documents", headers=self.api, name="document list"
            )

        @task(2)
        def download(self):
            documents = self.uploaded or self.my_group["documents"]
            document = documents[self.number % len(documents)]
            self.client.get(
                f"/api/v1/documents/{document}/content", headers=self.api, name="download"
            )

        @task(1)
        def upload(self):
            content = os.urandom(args.upload_bytes)
            answer = self.client.post(
                f"/api/v1/groups/{self.group_id}/documents",
                files={"file": ("notes.bin", content, "application/octet-stream")},
                data={"title": f"Notes of person {self.number}", "tlp": "TLP:AMBER"},
                headers=self.api,
                name="upload",
            )
            if answer.status_code == 201:
                document = answer.json()["id"]
                self.uploaded.append(document)
                acknowledged.append(
                    {
                        "kind": "upload",
                        "id": document,
                        "email": self.email,
                        "sha256": hashlib.sha256(content).hexdigest(),
                    }
                )

        @task(2)
        def search(self):
            self.client.get(f"/search?q={COMMON}", name="search")

        @task(2)
        def meeting_chat(self):
            """A visit to the group's meeting: connect, join, say something, leave."""
            client = socketio.Client(reconnection=False)
            text = f"Chat from person {self.number} at {time.time():.6f}"

            def visit():
                client.connect(
                    self.client.base_url,
                    namespaces=["/meetings"],
                    auth={"token": self.token},
                    headers={"X-Forwarded-For": self.address},
                    transports=["websocket"],
                    wait_timeout=10,
                )
                try:
                    joined = client.call(
                        "join", {"meeting_id": self.my_group["meeting_id"]}, "/meetings", timeout=10
                    )
                    if not joined.get("ok"):
                        raise RuntimeError(f"join refused: {joined}")
                    said = client.call("chat", {"text": text}, "/meetings", timeout=10)
                    if not said.get("ok"):
                        raise RuntimeError(f"chat refused: {said}")
                    acknowledged.append({"kind": "chat", "id": said["id"], "text": text})
                    client.call("leave", {}, "/meetings", timeout=10)
                finally:
                    client.disconnect()

            self.timed("meeting chat", visit)

        def timed(self, name: str, action) -> None:
            """Report a non-HTTP action (a Socket.IO visit) to Locust's statistics."""
            started = time.perf_counter()
            failure = None
            try:
                action()
            except Exception as error:  # any failure of the action counts as its error
                failure = error
            self.environment.events.request.fire(
                request_type="SIO",
                name=name,
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=failure,
                context={},
            )

    environment = Environment(user_classes=[Person])
    runner = environment.create_local_runner()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    started = time.monotonic()
    while len(signed_in) < args.users and time.monotonic() - started < 300:
        gevent.sleep(0.5)
    ramp = _stats_of(environment, seconds=time.monotonic() - started)
    environment.stats.reset_all()
    before = len(acknowledged)
    gevent.sleep(args.step_seconds)
    measured = _stats_of(environment, seconds=args.step_seconds)
    Path(args.out).write_text(
        json.dumps(
            {
                "ramp": ramp,
                "measured": measured,
                "acknowledged": acknowledged,
                "acknowledged_while_measured": len(acknowledged) - before,
            }
        )
    )
    # Stopping people stuck in a Socket.IO disconnect can hang Locust's shutdown; the
    # results are written, and the servers forget the connections when the process ends.
    os._exit(0)


def _csrf(html: str) -> str | None:
    """The CSRF token of a page, or None on a page that has none (an error page)."""
    from tests.support.web import CSRF_INPUT

    match = CSRF_INPUT.search(html)
    return match.group(1) if match else None


def _stats_of(environment, seconds: float) -> dict:
    actions = {}
    for (name, _method), entry in environment.stats.entries.items():
        actions[name] = {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5) or 0,
            "p99": entry.get_response_time_percentile(0.99) or 0,
        }
    total = environment.stats.total
    errors = [
        f"{error.name}: {error.error} x{error.occurrences}"
        for error in environment.stats.errors.values()
    ]
    return {
        "actions": actions,
        "requests": total.num_requests,
        "errors": total.num_failures,
        "rps": total.num_requests / seconds,
        "p99": total.get_response_time_percentile(0.99) or 0,
        "error_samples": errors[:10],
    }


# The driver


def run_step(args, plan_path: Path, ports: list[int], servers: list, users: int, first: int):
    """One step: a Locust process at ``users`` people; its statistics and CPU use."""
    out = Path(tempfile.mkstemp(prefix="emisa-load-", suffix=".json")[1])
    command = [
        sys.executable,
        "-c",
        # Locust runs on gevent: the standard library is patched before anything imports it.
        "from gevent import monkey; monkey.patch_all(); import runpy; "
        "runpy.run_module('bench.load', run_name='__main__')",
        "--drive",
        "--plan",
        str(plan_path),
        "--out",
        str(out),
        "--hosts",
        ",".join(f"http://127.0.0.1:{port}" for port in ports),
        "--users",
        str(users),
        "--first",
        str(first),
        "--step-seconds",
        str(args.step_seconds),
        "--spawn-rate",
        str(args.spawn_rate),
        "--think-min",
        str(args.think_min),
        "--think-max",
        str(args.think_max),
        "--upload-bytes",
        str(args.upload_bytes),
    ]
    server_pids = [server.pid for server in servers]
    server_cpu = process_tree_cpu(server_pids)
    generator = subprocess.Popen(command, cwd=ROOT)
    import psutil

    generator_cpu = 0.0
    load_averages = []
    watched = psutil.Process(generator.pid)
    while generator.poll() is None:
        try:
            times = watched.cpu_times()
            generator_cpu = times.user + times.system
        except psutil.NoSuchProcess:
            break
        load_averages.append(os.getloadavg()[0])
        time.sleep(2)
    if generator.returncode:
        raise RuntimeError(f"the load generator failed ({generator.returncode})")
    result = json.loads(out.read_text())
    out.unlink()
    result["server_cpu"] = process_tree_cpu(server_pids) - server_cpu
    result["generator_cpu"] = generator_cpu
    result["load_average"] = max(load_averages) if load_averages else os.getloadavg()[0]
    result["users"] = users
    result["processes"] = len(ports)
    return result


def sustained(result: dict) -> bool:
    measured = result["measured"]
    return measured["errors"] == 0 and all(
        action["p99"] < P99_LIMIT_MS for action in measured["actions"].values()
    )


def print_step(result: dict) -> None:
    measured = result["measured"]
    print(
        f"\n{result['processes']} process(es), {result['users']} people: "
        f"{measured['rps']:.1f} req/s, {measured['requests']} requests, "
        f"errors {measured['errors']}, p99 {measured['p99']:.0f} ms, "
        f"{'sustained' if sustained(result) else 'NOT sustained'}; CPU s: servers "
        f"{result['server_cpu']:.0f}, load generator {result['generator_cpu']:.0f}; "
        f"highest load average {result['load_average']:.1f}",
        flush=True,
    )
    rows = sorted(measured["actions"].items())
    rows += [(f"{name} (ramp-up)", row) for name, row in result["ramp"]["actions"].items()]
    for name, row in rows:
        if not row["requests"] or ("(ramp-up)" in name and not name.startswith("sign-in")):
            continue
        print(
            f"  {name:<30} {row['requests']:6d} req  p50 {row['p50']:6.0f} ms  "
            f"p99 {row['p99']:6.0f} ms  errors {row['errors']}"
        )
    for sample in measured["error_samples"] + result["ramp"]["error_samples"]:
        print(f"  error: {sample}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--per-group", type=int, default=10, help="threads and documents")
    parser.add_argument("--ports", default="5301,5302")
    parser.add_argument("--one-steps", default="20,40,60,80,120")
    parser.add_argument("--two-steps", default="120,160,200")
    parser.add_argument("--step-seconds", type=float, default=60)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--think-min", type=float, default=1)
    parser.add_argument("--think-max", type=float, default=3)
    parser.add_argument("--upload-bytes", type=int, default=64 * 1024)
    # The load generator's own process (started by the driver).
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--hosts", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args)
        return

    workdir = Path(tempfile.mkdtemp(prefix="emisa-load-"))
    env = {
        "EMISA_DATA_DIR": str(workdir / "data"),
        "DATABASE_URL": args.database_url,
        "EMISA_REDIS_URL": args.redis_url,
        "EMISA_TRUSTED_PROXIES": "1",
    }
    _fresh_database(args.database_url)
    _flush_redis(args.redis_url)
    started = time.perf_counter()
    plan = seed(env, args.accounts, args.per_group)
    print(
        f"Seeded {args.accounts} accounts in {len(plan['groups'])} groups in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps(plan))
    ports = [int(port) for port in args.ports.split(",")]
    results = {1: [], 2: []}
    acknowledged: list[dict] = []
    first = 0

    def run_all(count: int, steps: list[int]) -> None:
        nonlocal first
        servers = [start_server(env, port) for port in ports[:count]]
        try:
            for users in steps:
                result = run_step(args, plan_path, ports[:count], servers, users, first)
                # The next step signs in other accounts: a TOTP step is accepted once.
                first = (first + users) % args.accounts
                acknowledged.extend(result.pop("acknowledged"))
                results[count].append(result)
                print_step(result)
        finally:
            for server in servers:
                stop_server(server)

    run_all(1, [int(n) for n in args.one_steps.split(",")])
    held = [r for r in results[1] if sustained(r)]
    one_users = max((r["users"] for r in held), default=results[1][0]["users"])
    two_steps = sorted({one_users, *(int(n) for n in args.two_steps.split(","))})
    run_all(2, [n for n in two_steps if n >= one_users])

    check = verify_writes(env, acknowledged)
    best = {
        count: max((r["measured"]["rps"] for r in runs if sustained(r)), default=0.0)
        for count, runs in results.items()
    }
    peak = {
        count: max((r["measured"]["rps"] for r in runs), default=0.0)
        for count, runs in results.items()
    }
    print(f"\nAcknowledged writes checked: {check['checked']}; lost or wrong: {len(check['lost'])}")
    for write in check["lost"][:10]:
        print(f"  lost: {write}")
    print(
        f"Most sustained (no error, every p99 < 1 s): one process {best[1]:.1f} req/s, "
        f"two processes {best[2]:.1f} req/s; ratio two/one "
        f"{best[2] / best[1] if best[1] else float('nan'):.2f} (target >= 1.6); "
        f"{os.cpu_count()} CPUs shared with the load generator and other work"
    )
    print(
        f"Peak throughput whatever the latency: one process {peak[1]:.1f} req/s, two processes "
        f"{peak[2]:.1f} req/s; ratio two/one {peak[2] / peak[1] if peak[1] else float('nan'):.2f}"
    )


if __name__ == "__main__":
    main()
