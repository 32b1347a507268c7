"""Fixtures: a fresh platform per test on SQLite (default) or PostgreSQL, and factories.

Set ``EMISA_TEST_DATABASE_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/emisa_test)
to run the whole suite on PostgreSQL; tables are emptied between tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, text

from emisa import create_app
from emisa.extensions import db
from tests.support.web import post_form, totp_code

PASSWORD = "correct horse battery staple"
_schema_ready: set[str] = set()


def _database_url(tmp_path) -> str:
    return os.environ.get("EMISA_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'emisa.db'}"


def _reset_schema(url: str) -> None:
    if url.startswith("sqlite"):
        db.create_all()
        return
    if url not in _schema_ready:
        db.drop_all()
        db.create_all()
        _schema_ready.add(url)
        return
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app_config(tmp_path):
    """Overrides for create_app; a test may change them before asking for ``app``."""
    return {
        "TESTING": True,
        "EMISA_DATA_DIR": tmp_path / "data",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
        "SERVER_NAME": "emisa.test",
    }


@pytest.fixture
def app(app_config):
    """A fresh platform. No app context stays pushed: each request gets its own, like production."""
    application = create_app(app_config)
    with application.app_context():
        _reset_schema(app_config["SQLALCHEMY_DATABASE_URI"])
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    """For service-level tests that call operations directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class Persona:
    id: int
    email: str
    name: str
    country: str
    password: str
    secret: str | None


@pytest.fixture
def make_user(app):
    """``make_user(email, country=, kind=, admin=, state=, enrolled=, expires_in=) -> Persona``."""
    from emisa.accounts import totp
    from emisa.accounts.models import User
    from emisa.accounts.passwords import hash_password
    from emisa.database import commit
    from emisa.timeutil import utcnow

    counter = iter(range(1, 10_000))

    def factory(
        email: str | None = None,
        *,
        name: str | None = None,
        country: str = "BE",
        organisation: str = "Federal Police",
        kind: str = "law-enforcement",
        admin: bool = False,
        state: str = "active",
        enrolled: bool = True,
        expires_in: timedelta | None = None,
    ) -> Persona:
        n = next(counter)
        email = email or f"user{n}@agency.example"
        name = name or f"Officer {n}"
        secret = pyotp.random_base32(32) if enrolled else None
        with app.app_context():
            user = User(
                email=email,
                name=name,
                organisation=organisation,
                country=country,
                kind=kind,
                role="admin" if admin else "user",
                state=state,
                password_hash=hash_password(PASSWORD),
                totp_secret=totp.seal_secret(secret) if secret else None,
                totp_enrolled_at=utcnow() if secret else None,
                expires_at=(utcnow() + expires_in) if expires_in is not None else None,
            )
            db.session.add(user)
            commit()
            return Persona(user.id, email, name, country, PASSWORD, secret)

    return factory


@pytest.fixture
def make_group(app):
    """``make_group(name, countries=[...], join_policy=, members={persona: role}) -> group id``."""
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.groups.operations import add_member, create_group

    counter = iter(range(1, 10_000))

    def factory(name=None, *, countries=(), join_policy="request", members=None, mandate=""):
        with app.app_context():
            group = create_group(
                name or f"Working group {next(counter)}", mandate, list(countries), join_policy
            )
            for persona, role in (members or {}).items():
                add_member(group, db.session.get(User, persona.id), role, by=None)
            commit()
            return group.id

    return factory


def last_step(app, persona: Persona) -> int:
    from emisa.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(User.totp_last_step).where(User.id == persona.id))


@pytest.fixture
def login(app):
    """Sign a test client in through both real steps: password form, then a fresh TOTP code."""

    def do_login(client, persona: Persona, *, expect_ok: bool = True):
        response = post_form(
            client, "/login", {"email": persona.email, "password": persona.password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        code = totp_code(persona.secret, last_step(app, persona))
        response = post_form(client, "/login/code", {"code": code})
        if expect_ok:
            assert response.status_code == 302 and "/login" not in response.headers["Location"]
        return response

    return do_login


@pytest.fixture
def token_for(app):
    """A bearer token obtained through the real API sign-in (password and TOTP code)."""

    def issue(persona: Persona) -> str:
        client = app.test_client()
        response = client.post(
            "/api/v1/auth/token",
            json={
                "email": persona.email,
                "password": persona.password,
                "otp": totp_code(persona.secret, last_step(app, persona)),
            },
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]

    return issue


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
