"""Benchmark: the cost of every list request as a group grows, in SQL statements,
decryptions and time. Not part of the test suite.

One group is grown in process through the platform's own operations (threads, replies,
documents with their encrypted blobs, meetings; a member follows the group, so new threads
notify them), from 100 threads / 1,000 posts / 100 documents to 10,000 / 50,000 / 10,000.
Every list request then runs signed in through the test client, one at a time, the sizes
taking turns; the table gives the median time (wall clock; CPU of this process; waiting for
the database), the SQL statements and the decryptions per request, and the ratio of the
largest size to the smallest. The target ratio is 2 or less. The build time of each size
is printed as it is built; a ``--workdir`` keeps the groups for the next run.

    python -m bench.growth                       # SQLite, in a temporary directory
    python -m bench.growth --database-url postgresql+psycopg://postgres@127.0.0.1/emisa_bench
    python -m bench.growth --sizes 100,1000,100 1000,5000,1000 --repeat 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyotp

PASSWORD = "growth benchmark passphrase"
COMMON = "probation"  # in every post and every document: the common word of the search
REPLY = "Our {word} service screens returnees in the first week, then every quarter."


@dataclass
class Grown:
    """One group and the people who read it, and how much content it holds so far."""

    group_id: int
    member_id: int
    member_email: str
    admin_email: str
    secret: str
    threads: int = 0
    posts: int = 0
    documents: int = 0


def _person(email: str, name: str, secret: str, *, admin: bool = False):
    from emisa.accounts import totp
    from emisa.accounts.models import User
    from emisa.accounts.passwords import hash_password
    from emisa.timeutil import utcnow

    return User(
        email=email,
        name=name,
        organisation="Benchmark agency",
        country="BE",
        role="admin" if admin else "user",
        state="active",
        password_hash=hash_password(PASSWORD),
        totp_secret=totp.seal_secret(secret),
        totp_enrolled_at=utcnow(),
    )


def start(app) -> Grown:
    """The group, its coordinator and member, an administrator, and a few meetings."""
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.operations import add_member, create_group
    from emisa.meetings.operations import MeetingInput, create_meeting
    from emisa.notifications.operations import set_follow
    from emisa.timeutil import utcnow

    secret = pyotp.random_base32(32)
    with app.app_context():
        coordinator = _person("coordinator@growth.example", "Coordinator", secret)
        member = _person("member@growth.example", "Member", secret)
        admin = _person("admin@growth.example", "Administrator", secret, admin=True)
        db.session.add_all([coordinator, member, admin])
        group = create_group("Growth benchmark", "A group that keeps growing")
        add_member(group, coordinator, "coordinator", by=None)
        add_member(group, member, "member", by=None)
        db.session.flush()
        set_follow(member.id, group.id, True)
        now = utcnow()
        for n in range(12):
            when = now + timedelta(days=n + 1)
            create_meeting(
                group,
                MeetingInput(
                    f"Meeting {n}", when, when + timedelta(hours=1), [], "TLP:AMBER", [], []
                ),
                coordinator,
            )
        commit()
        return Grown(group.id, member.id, member.email, admin.email, secret)


def add_threads(app, grown: Grown, threads: int, posts: int, batch: int = 1000) -> None:
    """``threads`` new threads and ``posts`` posts in all (each thread's opening post counts),
    the replies spread evenly over the new threads (over the group's threads when it has no
    new one). Each thread's replies follow it while it is still loaded, and one commit
    stores ``batch`` items: no reload of the thread per reply, no transaction per item."""
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.discussions import operations as ops
    from emisa.discussions.models import Thread
    from emisa.extensions import db
    from emisa.groups.models import WorkingGroup

    replies = max(0, posts - threads)
    written = 0

    def stored() -> None:
        nonlocal written
        written += 1
        if written % batch == 0:
            commit()

    def reply_to(thread, count: int) -> None:
        for _ in range(count):
            author = authors[written % len(authors)]
            ops.add_post(thread, author, REPLY.format(word=COMMON), notify=False)
            stored()

    with app.test_request_context():
        group = db.session.get(WorkingGroup, grown.group_id)
        authors = db.session.scalars(
            db.select(User).where(User.email.like("%@growth.example"), User.role == "user")
        ).all()
        for n in range(threads):
            number = grown.threads + n
            thread = ops.create_thread(
                group,
                authors[n % len(authors)],
                f"Thread {number} about {COMMON}" + (" zanzibar" if number == 7 else ""),
                REPLY.format(word=COMMON),
                "TLP:GREEN" if n % 3 == 0 else "TLP:AMBER",
            )
            stored()
            reply_to(thread, replies // threads + (n < replies % threads))
        if not threads and replies:  # a kept group grown further: replies to its threads
            existing = db.session.scalars(
                db.select(Thread).where(Thread.group_id == group.id).order_by(Thread.id)
            ).all()
            for n, thread in enumerate(existing):
                reply_to(thread, replies // len(existing) + (n < replies % len(existing)))
        commit()
    grown.threads += threads
    grown.posts += posts


def upload_document(group, uploader, title: str, marking, *, description="", tags=()):
    """One document through the upload path (encrypted blob, sealed fields, search index);
    needs a request context, as uploads have one."""
    from emisa.documents import operations as docs

    target = docs.begin_upload(group.id, None)
    target.open_sink("note.txt", "text/plain").write(b"a short note\n")
    docs.complete_upload(target)
    return docs.create_document(
        group,
        uploader,
        target,
        title=title,
        description=description,
        tags=list(tags),
        marking=marking,
    )


def add_documents(app, grown: Grown, documents: int, batch: int = 1000) -> None:
    from emisa.access.markings import Tlp
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.documents.operations import validate_marking
    from emisa.extensions import db
    from emisa.groups.models import WorkingGroup

    with app.test_request_context():
        group = db.session.get(WorkingGroup, grown.group_id)
        uploader = db.session.get(User, grown.member_id)
        for n in range(documents):
            label = Tlp.GREEN if n % 3 == 0 else Tlp.AMBER
            upload_document(
                group,
                uploader,
                f"Document {grown.documents + n} on {COMMON}",
                validate_marking(group, uploader, tlp=label),
                description="Practice notes",
                tags=["exit"],
            )
            if n % batch == batch - 1:
                commit()
        commit()
    grown.documents += documents


def grow_to(app, grown: Grown, threads: int, posts: int, documents: int) -> None:
    add_threads(app, grown, threads - grown.threads, posts - grown.posts)
    add_documents(app, grown, documents - grown.documents)


def requests_of(grown: Grown) -> dict[str, tuple[str, str]]:
    """label -> (who: "page", "api" or "admin", path)."""
    gid = grown.group_id
    return {
        "GET /api/v1/groups/{gid}/threads": ("api", f"/api/v1/groups/{gid}/threads"),
        "thread list page": ("page", f"/groups/{gid}/discussions"),
        "document list page": ("page", f"/groups/{gid}/documents"),
        "GET /api/v1/groups/{gid}/documents": ("api", f"/api/v1/groups/{gid}/documents"),
        "best-practice library page": ("page", "/best-practice"),
        "GET /api/v1/library": ("api", "/api/v1/library"),
        "search page, a common word": ("page", f"/search?q={COMMON}"),
        "search page, a rare word": ("page", "/search?q=zanzibar"),
        "GET /api/v1/search, a common word": ("api", f"/api/v1/search?q={COMMON}"),
        "dashboard": ("page", "/"),
        "meetings list page": ("page", f"/groups/{gid}/meetings"),
        "GET /api/v1/groups/{gid}/meetings": ("api", f"/api/v1/groups/{gid}/meetings"),
        "notifications": ("page", "/notifications"),
        "admin audit log": ("admin", "/admin/audit"),
    }


@contextmanager
def metered(app):
    """Counts SQL statements, the time spent waiting for them (``db_ms``) and field
    decryptions while the block runs."""
    from sqlalchemy import event

    from emisa.crypto import envelope
    from emisa.extensions import db

    counts = {"sql": 0, "decrypt": 0, "db_ms": 0.0}
    began = [0.0]

    def on_statement(*_args):
        counts["sql"] += 1
        began[0] = time.perf_counter()

    def on_answer(*_args):
        counts["db_ms"] += (time.perf_counter() - began[0]) * 1000

    # Every sealed field is opened (and sealed) with its associated data built here; list
    # requests seal nothing, so each call is one field decrypted.
    field_aad = envelope.field_aad

    def counting_aad(aad: str) -> bytes:
        counts["decrypt"] += 1
        return field_aad(aad)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "after_cursor_execute", on_answer)
    envelope.field_aad = counting_aad
    try:
        yield counts
    finally:
        envelope.field_aad = field_aad
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "after_cursor_execute", on_answer)


def signed_in(app, grown: Grown):
    """Browser clients for the member and the admin, and the member's API token.

    A code is accepted once per account: each sign-in uses a step newer than the account's
    last, so a run following another on the same group within a minute waits for one."""
    from emisa.accounts.models import User
    from emisa.extensions import db
    from tests.support.web import post_form, totp_code

    def code_for(email: str) -> str:
        with app.app_context():
            last = db.session.scalar(db.select(User.totp_last_step).where(User.email == email))
        return totp_code(grown.secret, last or 0)

    def browser(email: str):
        client = app.test_client()
        post_form(client, "/login", {"email": email, "password": PASSWORD})
        post_form(client, "/login/code", {"code": code_for(email)})
        assert client.get("/notifications").status_code == 200, f"{email} not signed in"
        return client

    page, admin = browser(grown.member_email), browser(grown.admin_email)
    answer = app.test_client().post(
        "/api/v1/auth/token",
        json={
            "email": grown.member_email,
            "password": PASSWORD,
            "otp": code_for(grown.member_email),
        },
    )
    assert answer.status_code == 201, answer.get_json()
    return {"page": (page, {}), "admin": (admin, {}), "api": (app.test_client(), _bearer(answer))}


def _bearer(answer) -> dict:
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


@dataclass
class Cost:
    ms: float  # median wall-clock time
    cpu_ms: float  # median CPU time of this process: steadier on a shared, loaded machine
    db_ms: float  # median time waiting for the database's answers (its own work, and queueing)
    sql: int
    decrypt: int


@dataclass
class Size:
    """One grown group, served: its app, signed-in clients and the requests to time."""

    app: object
    clients: dict
    path_of: dict


def _counted(size: Size, label: str) -> tuple[int, int]:
    """(statements, decryptions) of one request, after a warming one (caches, compiled
    statements)."""
    who, path = size.path_of[label]
    client, headers = size.clients[who]
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, (label, answer.status_code)
    with metered(size.app) as counts:
        client.get(path, headers=headers)
    return counts["sql"], counts["decrypt"]


def _timed(size: Size, label: str) -> tuple[float, float, float]:
    """(wall-clock, CPU, database) milliseconds of one request."""
    who, path = size.path_of[label]
    client, headers = size.clients[who]
    with metered(size.app) as counts:
        began, began_cpu = time.perf_counter(), time.process_time()
        client.get(path, headers=headers)
        wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    return wall * 1000, cpu * 1000, counts["db_ms"]


def measure(sizes: list[Size], repeat: int) -> list[dict[str, Cost]]:
    """Each request's cost at every size. The sizes take turns request by request, so the
    load of a shared machine, which drifts within minutes, weighs on all of them alike."""
    results: list[dict[str, Cost]] = [{} for _ in sizes]
    for label in sizes[0].path_of:
        counted = [_counted(size, label) for size in sizes]
        samples: list[list[tuple[float, float, float]]] = [[] for _ in sizes]
        for _ in range(repeat):
            for index, size in enumerate(sizes):
                samples[index].append(_timed(size, label))
        for index, ((sql, decrypt), timed) in enumerate(zip(counted, samples, strict=True)):
            wall, cpu, waited = zip(*timed, strict=True)
            results[index][label] = Cost(
                statistics.median(wall),
                statistics.median(cpu),
                statistics.median(waited),
                sql,
                decrypt,
            )
    return results


def table(sizes: list[tuple[int, int, int]], costs: list[dict[str, Cost]]) -> str:
    heads = [f"{t:,}/{p:,}/{d:,}" for t, p, d in sizes]
    lines = [
        "| request | " + " | ".join(heads) + " | ratio (time, CPU, db, sql, decryptions) |",
        "|---|" + "---|" * len(heads) + "---|",
    ]
    for label in costs[0]:
        cells = [
            f"{c[label].ms:.1f} ms ({c[label].cpu_ms:.1f} CPU, {c[label].db_ms:.1f} db), "
            f"{c[label].sql} sql, {c[label].decrypt} dec"
            for c in costs
        ]
        first, last = costs[0][label], costs[-1][label]
        ratio = (
            f"{last.ms / first.ms:.2f}, {last.cpu_ms / max(first.cpu_ms, 0.01):.2f}, "
            f"{last.db_ms / max(first.db_ms, 0.01):.2f}, "
            f"{last.sql / max(first.sql, 1):.2f}, "
            f"{last.decrypt / max(first.decrypt, 1):.2f}"
        )
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def _database_for(base_url: str, workdir: Path, index: int) -> str:
    """Each size has its own database, kept for later runs: SQLite in the size's directory,
    or a PostgreSQL database named after ``base_url``'s with the size's number appended."""
    if not base_url:
        return f"sqlite:///{workdir / 'emisa.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    name = f"{url.database}_{index}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def settle(app) -> None:
    """PostgreSQL: ``VACUUM ANALYZE`` after the bulk load, as autovacuum does on a production
    server (a test server may run with it off): without statistics the planner reads a list
    by sorting its whole table. SQLite: nothing, the platform runs no ``ANALYZE`` there."""
    from sqlalchemy import text

    from emisa.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def built(app, workdir: Path, size: tuple[int, int, int]) -> Grown:
    """The group at ``size``: grown now, or as an earlier run left it in ``workdir``."""
    saved = workdir / "grown.json"
    grown = Grown(**json.loads(saved.read_text())) if saved.exists() else start(app)
    began = time.perf_counter()
    grow_to(app, grown, *size)
    print(f"built {size} in {time.perf_counter() - began:.0f} s", flush=True)
    saved.write_text(json.dumps(vars(grown)))
    began = time.perf_counter()
    settle(app)
    print(f"settled in {time.perf_counter() - began:.0f} s", flush=True)
    return grown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL (default: SQLite)")
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["100,1000,100", "10000,50000,10000"],
        help="threads,posts,documents for each size, smallest first",
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the grown groups here and reuse them on the next run",
    )
    args = parser.parse_args()

    from emisa import create_app
    from emisa.platform import prepare_platform

    base = args.workdir or Path(tempfile.mkdtemp(prefix="emisa-growth-"))
    sizes = [tuple(int(n) for n in size.split(",")) for size in args.sizes]
    served = []
    for index, size in enumerate(sizes):
        workdir = base / "-".join(map(str, size))
        workdir.mkdir(parents=True, exist_ok=True)
        app = create_app(
            {
                "EMISA_DATA_DIR": workdir / "data",
                "SQLALCHEMY_DATABASE_URI": _database_for(args.database_url, workdir, index),
            }
        )
        prepare_platform(app)
        grown = built(app, workdir, size)
        served.append(Size(app, signed_in(app, grown), requests_of(grown)))
    print(table(sizes, measure(served, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
