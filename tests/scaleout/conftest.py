"""Two real server processes on PostgreSQL and Redis, as production runs them.

The tests create what they need: their own PostgreSQL database (``emisa_scaleout``,
created if missing) and their own Redis database number (emptied first).
"""

from __future__ import annotations

import os

import pytest

PG_ADMIN_URL = os.environ.get("EMISA_SCALEOUT_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "emisa_scaleout"
REDIS_URL = os.environ.get("EMISA_SCALEOUT_REDIS", "redis://127.0.0.1:6379/11")


def _ensure_database() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{PG_DATABASE}"


def _empty_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()


@pytest.fixture(scope="session")
def scaleout_services() -> str:
    """The PostgreSQL URL; skips (or fails, with EMISA_REQUIRE_SCALEOUT=1) without the services."""
    try:
        url = _ensure_database()
        _empty_redis()
    except Exception as error:
        if os.environ.get("EMISA_REQUIRE_SCALEOUT") == "1":
            raise
        pytest.skip(f"PostgreSQL and Redis are needed for scale-out tests: {error}")
    return url


@pytest.fixture
def app_config(app_config, scaleout_services):
    _empty_redis()
    return {
        **app_config,
        "SQLALCHEMY_DATABASE_URI": scaleout_services,
        "EMISA_REDIS_URL": REDIS_URL,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
    }
