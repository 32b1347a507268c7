"""Benchmark: authenticated ``GET /api/v1/groups`` and the dashboard page against a bare endpoint.

1,000 accounts and 100 groups on SQLite; the platform served as ``python app.py`` serves it
(gunicorn, one gthread worker), the baseline (bare Flask + Flask-SQLAlchemy, one SELECT on the
same database) under the same gunicorn settings, both loaded in the same run.

    python -m bench.api [--requests 3000] [--concurrency 16]
    python -m bench.api --in-process   # CPU ms per request with the test client
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pyotp
import requests

from bench.common import (
    bare_client,
    cpu_per_request,
    interleaved,
    platform_and_baseline,
    signed_in_client,
    workspace,
)
from tests.support.web import csrf_from

USERS, GROUPS, GROUPS_PER_USER = 1000, 100, 5
PASSWORD = "benchmark passphrase 2026"


def seed(data_dir: Path, database_url: str) -> tuple[str, str, str]:
    """Fill the database; returns (email, TOTP secret, API token) of the measured account."""
    from emisa import create_app
    from emisa.accounts import totp
    from emisa.accounts.models import User
    from emisa.accounts.passwords import hash_password
    from emisa.accounts.sessions import issue_token
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import Membership
    from emisa.groups.operations import create_group
    from emisa.platform import prepare_platform
    from emisa.timeutil import utcnow

    app = create_app({"EMISA_DATA_DIR": data_dir, "SQLALCHEMY_DATABASE_URI": database_url})
    prepare_platform(app)
    rng = random.Random(7)
    countries = ["BE", "FR", "DE", "NL", "ES", "IT", "TN", "MA", "JO", "KE", "EG", "TR", "LB", "DZ"]
    with app.app_context():
        groups = [create_group(f"Benchmark group {n:03d}", "Load test group") for n in range(92)]
        commit()
        group_ids = [g.id for g in groups] + list(range(1, 9))
        password_hash = hash_password(PASSWORD)
        secret = pyotp.random_base32(32)
        sealed = totp.seal_secret(secret)
        users = [
            User(
                email=f"user{n:04d}@bench.example",
                name=f"User {n:04d}",
                organisation="Benchmark agency",
                country=rng.choice(countries),
                state="active",
                password_hash=password_hash,
                totp_secret=sealed,
                totp_enrolled_at=utcnow(),
            )
            for n in range(USERS)
        ]
        db.session.add_all(users)
        db.session.flush()
        for user in users:
            for group_id in rng.sample(group_ids, GROUPS_PER_USER):
                db.session.add(Membership(group_id=group_id, user_id=user.id, role="member"))
        measured = users[0]
        _, token = issue_token(measured, "benchmark")
        commit()
        return measured.email, secret, token


def browser_cookie(port: int, email: str, secret: str) -> str:
    """Sign in through the real two steps and return the session cookie header."""
    session = requests.Session()
    base = f"http://127.0.0.1:{port}"
    for path, data in (
        ("/login", {"email": email, "password": PASSWORD}),
        ("/login/code", {"code": pyotp.TOTP(secret).now()}),
    ):
        page = session.get(base + path).text
        answer = session.post(base + path, data={**data, "csrf_token": csrf_from(page)})
        answer.raise_for_status()
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def in_process() -> None:
    """CPU milliseconds per request through the test client (``bench.common.cpu_per_request``)."""
    import logging

    from emisa import create_app

    logging.disable(logging.INFO)
    data_dir, database_url = workspace("emisa-bench-api-")
    email, secret, token = seed(data_dir, database_url)
    app = create_app({"EMISA_DATA_DIR": data_dir, "SQLALCHEMY_DATABASE_URI": database_url})
    api_client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    cpu_per_request(
        {
            "bare Flask + one SQLite SELECT": (bare_client(database_url), "/bare", {}),
            "GET /api/v1/me (bearer token)": (api_client, "/api/v1/me", bearer),
            "GET /api/v1/groups (bearer token)": (api_client, "/api/v1/groups", bearer),
            "GET / dashboard (signed-in session)": (
                signed_in_client(app, email, PASSWORD, secret),
                "/",
                {},
            ),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--in-process", action="store_true", help="test client, CPU time")
    args = parser.parse_args()
    if args.in_process:
        in_process()
        return

    data_dir, database_url = workspace("emisa-bench-api-")
    print(f"seeding {USERS} accounts, {GROUPS} groups ({GROUPS_PER_USER} memberships each) ...")
    email, secret, token = seed(data_dir, database_url)

    with platform_and_baseline(data_dir, database_url) as (platform_port, bare_port):
        cookie = browser_cookie(platform_port, email, secret)
        shared = {"total": args.requests, "concurrency": args.concurrency}
        results = interleaved(
            {
                "bare Flask + one SQLite SELECT": {"port": bare_port, "path": "/bare", **shared},
                "GET /api/v1/groups (bearer token)": {
                    "port": platform_port,
                    "path": "/api/v1/groups",
                    "headers": {"Authorization": f"Bearer {token}"},
                    **shared,
                },
                "GET / dashboard (signed-in session)": {
                    "port": platform_port,
                    "path": "/",
                    "headers": {"Cookie": cookie},
                    **shared,
                },
            }
        )

    baseline = results["bare Flask + one SQLite SELECT"].rps
    api = results["GET /api/v1/groups (bearer token)"].rps / baseline
    page = results["GET / dashboard (signed-in session)"].rps / baseline
    print(f"ratio API / bare       {api:5.2f}  (target >= 0.50)")
    print(f"ratio dashboard / bare {page:5.2f}  (target >= 0.25)")


if __name__ == "__main__":
    main()
