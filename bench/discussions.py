"""Benchmark: the thread page, ``GET /api/v1/threads/{id}`` (100 posts, every one decrypted)
and posting, next to a bare Flask endpoint doing one SQLite SELECT, in the same run.

The platform is served as ``python app.py`` serves it (gunicorn, one gthread worker), the
baseline under the same gunicorn settings; load comes from separate client processes over
loopback with bounded request counts. Not part of the test suite.

    python -m bench.discussions [--requests 2000] [--posts 600] [--concurrency 16]
    python -m bench.discussions --against ../old-checkout   # two versions side by side
    python -m bench.discussions --in-process   # CPU ms per request with the test client

``--against DIR`` also serves another checkout of the platform (say, the commit before a
change) on the same data, and its thread page and API take their turns with the others:
both versions measured in one run, against the same baseline.

``--in-process`` is for profiling on a shared, loaded machine: it measures CPU time (best
of ten rounds) of the same requests through Flask's test client, no server and no network.
"""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack
from pathlib import Path

import pyotp

from bench.api import PASSWORD, browser_cookie
from bench.common import (
    bare_client,
    cpu_per_request,
    free_port,
    interleaved,
    platform_and_baseline,
    signed_in_client,
    start_platform,
    stop,
    workspace,
)

POSTS = 100
BODY = (
    "In our probation service we **screen returnees** with a structured interview "
    "in the first week, then every quarter.\n\n"
    "- risk factors reviewed with the prosecutor\n- family and housing\n- `VERA-2R` scoring\n\n"
    "> Keep the interviewer the same person where you can.\n\n"
    "More at [the handbook](https://example.org/handbook). Contact @Officer Two for details."
)


def seed(data_dir: Path, database_url: str) -> dict:
    from emisa import create_app
    from emisa.accounts import totp
    from emisa.accounts.models import User
    from emisa.accounts.passwords import hash_password
    from emisa.accounts.sessions import issue_token
    from emisa.database import commit
    from emisa.discussions import operations as ops
    from emisa.extensions import db
    from emisa.groups.operations import add_member, create_group
    from emisa.platform import prepare_platform
    from emisa.timeutil import utcnow

    app = create_app({"EMISA_DATA_DIR": data_dir, "SQLALCHEMY_DATABASE_URI": database_url})
    prepare_platform(app)
    with app.app_context():
        secret = pyotp.random_base32(32)
        users = [
            User(
                email=f"officer{n}@bench.example",
                name=f"Officer {['One', 'Two', 'Three'][n]}",
                organisation="Benchmark agency",
                country="BE",
                state="active",
                password_hash=hash_password(PASSWORD),
                totp_secret=totp.seal_secret(secret),
                totp_enrolled_at=utcnow(),
            )
            for n in range(3)
        ]
        db.session.add_all(users)
        group = create_group("Benchmark discussions", "Load test group")
        for user in users:
            add_member(group, user, "member", by=None)
        thread = ops.create_thread(group, users[0], "Screening returnees", BODY, "TLP:AMBER")
        parent = None
        for n in range(POSTS - 1):
            post = ops.add_post(thread, users[n % 3], f"Reply {n}.\n\n{BODY}", parent, notify=True)
            parent = post.id if n % 4 else None  # some nesting
        target = ops.create_thread(group, users[0], "Posting target", "Start", "TLP:AMBER")
        _, token = issue_token(users[0], "benchmark")
        commit()
        return {
            "email": users[0].email,
            "secret": secret,
            "token": token,
            "thread": thread.id,
            "target": target.id,
        }


def in_process() -> None:
    """CPU milliseconds per request through the test client (``bench.common.cpu_per_request``)."""
    import logging

    from emisa import create_app

    logging.disable(logging.INFO)
    data_dir, database_url = workspace("emisa-bench-discussions-")
    seeded = seed(data_dir, database_url)
    app = create_app({"EMISA_DATA_DIR": data_dir, "SQLALCHEMY_DATABASE_URI": database_url})
    api_client = app.test_client()
    page_client = signed_in_client(app, seeded["email"], PASSWORD, seeded["secret"])
    bearer = {"Authorization": f"Bearer {seeded['token']}"}
    cpu_per_request(
        {
            "bare Flask + one SQLite SELECT": (bare_client(database_url), "/bare", {}),
            "GET /api/v1/me (authenticated, no content)": (api_client, "/api/v1/me", bearer),
            f"GET /threads/{{id}} page (50 of {POSTS} posts)": (
                page_client,
                f"/threads/{seeded['thread']}",
                {},
            ),
            f"GET /api/v1/threads/{{id}} ({POSTS} posts)": (
                api_client,
                f"/api/v1/threads/{seeded['thread']}",
                bearer,
            ),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--in-process", action="store_true", help="test client, CPU time")
    parser.add_argument("--against", type=Path, help="another checkout to serve side by side")
    args = parser.parse_args()
    if args.in_process:
        in_process()
        return

    data_dir, database_url = workspace("emisa-bench-discussions-")
    print(f"seeding one thread of {POSTS} posts ...", flush=True)
    seeded = seed(data_dir, database_url)

    bearer = {"Authorization": f"Bearer {seeded['token']}"}
    env = {"EMISA_DATA_DIR": str(data_dir), "DATABASE_URL": database_url}
    with ExitStack() as servers:
        platform_port, bare_port = servers.enter_context(
            platform_and_baseline(data_dir, database_url)
        )
        reads = {"total": args.requests, "concurrency": args.concurrency}
        runs = {"bare Flask + one SQLite SELECT": {"port": bare_port, "path": "/bare", **reads}}
        versions = {"": platform_port}
        if args.against is not None:
            other_port = free_port()
            other = start_platform(env, other_port, root=args.against.resolve())
            servers.callback(stop, other)
            versions[f"[{args.against.name}] "] = other_port
        # One sign-in serves both versions: same data directory (secret key), same sessions.
        cookie = browser_cookie(platform_port, seeded["email"], seeded["secret"])
        for version, port in versions.items():
            runs[f"{version}GET /threads/{{id}} page (50 of {POSTS} posts)"] = {
                "port": port,
                "path": f"/threads/{seeded['thread']}",
                "headers": {"Cookie": cookie},
                **reads,
            }
            runs[f"{version}GET /api/v1/threads/{{id}} ({POSTS} posts)"] = {
                "port": port,
                "path": f"/api/v1/threads/{seeded['thread']}",
                "headers": bearer,
                **reads,
            }
        runs["POST /api/v1/threads/{id}/posts"] = {
            "port": platform_port,
            "path": f"/api/v1/threads/{seeded['target']}/posts",
            "method": "POST",
            "headers": {**bearer, "Content-Type": "application/json"},
            "body": json.dumps({"body": BODY}).encode(),
            "total": args.posts,
            "concurrency": args.concurrency,
        }
        results = interleaved(runs)

    baseline = results["bare Flask + one SQLite SELECT"].rps
    for label, stats in list(results.items())[1:]:
        print(f"ratio {label:<50} / bare {stats.rps / baseline:5.2f}")


if __name__ == "__main__":
    main()
