"""Benchmark: what two shortcuts through libraries' internals save on pages people use.

- Flask-Limiter's per-request hook, dropped by ``emisa.extensions.skip_empty_limit_check``
  (it reaches into the Limiter's private attributes to do so);
- a process-wide cache of unwrapped group keys (removed: each transaction unwraps the group
  keys it needs once, in its memo); what it would save is timed alone.

Each variant is a separate app on the same seeded data; CPU per request through the test
client, best of five rounds of ten, the variants taking turns for three rounds (median of the
rounds). On a loaded machine whole pages drift by more than these parts cost, so the parts
are also timed alone (best of many calls) and set against the pages' cost: the hook once per
request, one group key unwrapped per request (a thread's pages open one group's content).
A shortcut is worth keeping when it saves 5% or more of one of these pages.

    python -m bench.internals
"""

from __future__ import annotations

import logging
import statistics
import timeit

from bench.api import PASSWORD
from bench.common import cpu_of, signed_in_client, workspace
from bench.discussions import POSTS, seed

ROUNDS = 3


def _app(data_dir, database_url, *, limiter_hook: bool):
    from emisa import create_app, extensions

    keep = extensions.skip_empty_limit_check
    if limiter_hook:
        extensions.skip_empty_limit_check = lambda app: None
    try:
        app = create_app({"EMISA_DATA_DIR": data_dir, "SQLALCHEMY_DATABASE_URI": database_url})
    finally:
        extensions.skip_empty_limit_check = keep
    return app


def _best_microseconds(call, repeat: int = 7, number: int = 2000) -> float:
    return min(timeit.repeat(call, repeat=repeat, number=number)) / number * 1e6


def part_costs(app, group_id: int) -> dict[str, float]:
    """Microseconds of what each shortcut skips, timed alone."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from emisa.crypto import aead, envelope, keyring
    from emisa.crypto.keyring import _KEY_VERSION, _STATE_KEY
    from emisa.extensions import db, limiter

    with app.test_request_context("/api/v1/me"):
        hook = _best_microseconds(limiter._check_request_limit)
    with app.app_context():
        row = db.session.execute(_KEY_VERSION, {"group_id": group_id, "version": 1}).one()
        master = keyring._master_key(app.extensions[_STATE_KEY], row.master_version)
        aad = envelope.group_key_aad(row.group_id, row.version)
        unwrap = _best_microseconds(
            lambda: AESGCM(aead.open_sealed(master, row.wrapped_key, aad)), number=500
        )
    return {"Limiter hook kept": hook, "a process-wide key cache": unwrap}


def main() -> None:
    logging.disable(logging.INFO)
    data_dir, database_url = workspace("emisa-bench-internals-")
    seeded = seed(data_dir, database_url)
    variants = {
        "as shipped": {"limiter_hook": False},
        "Limiter hook kept": {"limiter_hook": True},
    }
    bearer = {"Authorization": f"Bearer {seeded['token']}"}
    pages = {
        "GET /api/v1/me": ("api", "/api/v1/me", bearer),
        f"GET /threads/{{id}} (50 of {POSTS} posts)": ("page", f"/threads/{seeded['thread']}", {}),
        f"GET /api/v1/threads/{{id}} ({POSTS} posts)": (
            "api",
            f"/api/v1/threads/{seeded['thread']}",
            bearer,
        ),
    }
    clients = {}
    # One account per variant: a second sign-in with the same code would be refused as a replay.
    for number, (name, options) in enumerate(variants.items()):
        app = _app(data_dir, database_url, **options)
        email = f"officer{number}@bench.example"
        clients[name] = {
            "api": app.test_client(),
            "page": signed_in_client(app, email, PASSWORD, seeded["secret"]),
        }
    measured: dict[tuple[str, str], list[float]] = {}
    for _ in range(ROUNDS):
        for page, (kind, path, headers) in pages.items():
            for name in variants:
                cost = cpu_of(clients[name][kind], path, headers, rounds=5, per_round=10)
                measured.setdefault((page, name), []).append(cost)
    with clients["as shipped"]["api"].application.app_context():
        from emisa.discussions.models import Thread
        from emisa.extensions import db

        group_id = db.session.get(Thread, seeded["thread"]).group_id
    parts = part_costs(clients["as shipped"]["api"].application, group_id)
    for name, cost in parts.items():
        print(f"{name}: the shortcut skips {cost:.1f} us per request, timed alone")
    for page in pages:
        shipped = statistics.median(measured[(page, "as shipped")])
        cache = parts["a process-wide key cache"]
        print(f"{page}: as shipped {shipped * 1000:.3f} ms CPU per request")
        print(f"    a process-wide key cache would save {cache / (shipped * 1e6):.1%} of it")
        for name in list(variants)[1:]:
            cost = statistics.median(measured[(page, name)])
            print(
                f"    {name:<28} {cost * 1000:.3f} ms  "
                f"(the shortcut saves {(cost - shipped) / cost:+.1%} of the page served; "
                f"timed alone {parts[name] / (shipped * 1e6 + parts[name]):.1%})"
            )


if __name__ == "__main__":
    main()
