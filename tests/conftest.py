"""Fixtures: a fresh platform per test on SQLite (default) or PostgreSQL, and factories.

Set ``EMISA_TEST_DATABASE_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/emisa_test)
to run the whole suite on PostgreSQL; tables are emptied between tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select, text

from emisa import create_app
from emisa.database import upgrade_schema
from emisa.extensions import db
from tests.support.web import post_form, totp_code

PASSWORD = "correct horse battery staple"
_schema_ready: set[str] = set()


def _left_out(item) -> bool:
    """Tests marked ``postgresql`` belong to the PostgreSQL pass. Browser tests (marked
    ``browser``) drive the pages a person sees, which do not depend on the engine (the
    engine's part is proven by the same operations' tests in both passes): they run in the
    SQLite pass only, so the two passes sharing the machine's two cores end sooner. Tests
    marked ``media_load`` (four Chromium pages sending video through Janus) fail on a machine
    shared with other suites, so they run on their own, with EMISA_MEDIA_LOAD_TESTS=1."""
    on_postgresql = bool(os.environ.get("EMISA_TEST_DATABASE_URL"))
    if item.get_closest_marker("postgresql") and not on_postgresql:
        return True
    if item.get_closest_marker("browser") and on_postgresql:
        return True
    return bool(item.get_closest_marker("media_load")) and not os.environ.get(
        "EMISA_MEDIA_LOAD_TESTS"
    )


def pytest_collection_modifyitems(config, items):
    """Leave out, rather than report skipped, the tests that belong to another run."""
    left_out = [item for item in items if _left_out(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _left_out(item)]


def _database_url(tmp_path) -> str:
    return os.environ.get("EMISA_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'emisa.db'}"


def _build_schema() -> None:
    """The schema as production builds it: the migrations (create_all adds nothing then)."""
    upgrade_schema()
    db.create_all()


def _reset_schema(app, url: str, template: Path) -> None:
    """SQLite: copy a migrated template file. PostgreSQL: migrate once, then empty the tables."""
    if url.startswith("sqlite"):
        database = Path(url.removeprefix("sqlite:///"))
        with app.app_context():
            if not template.exists():
                _build_schema()
                db.engine.dispose()
                shutil.copy(database, template)
                return
            db.engine.dispose()
            for leftover in database.parent.glob(database.name + "-*"):
                leftover.unlink()
            shutil.copy(template, database)
        return
    with app.app_context():
        if url not in _schema_ready:
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            _build_schema()
            _schema_ready.add(url)
            return
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _platform_config(root: Path) -> dict:
    return {
        "TESTING": True,
        "EMISA_DATA_DIR": root / "data",
        "SQLALCHEMY_DATABASE_URI": _database_url(root),
        "SERVER_NAME": "emisa.test",
    }


@contextmanager
def module_platform(tmp_path_factory, schema_template, name: str):
    """``(app, config)`` of a platform a whole test module shares (a module-scoped fixture
    builds its scene once), made like the ``app`` fixture's and disposed of at the end."""
    config = _platform_config(tmp_path_factory.mktemp(name))
    application = create_app(config)
    _reset_schema(application, config["SQLALCHEMY_DATABASE_URI"], schema_template)
    try:
        yield application, config
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("schema") / "template.db"


@pytest.fixture
def app_config(tmp_path):
    """Overrides for create_app; a test may change them before asking for ``app``."""
    return _platform_config(tmp_path)


@pytest.fixture
def app(app_config, schema_template):
    """A fresh platform. No app context stays pushed: each request gets its own, like production."""
    application = create_app(app_config)
    _reset_schema(application, app_config["SQLALCHEMY_DATABASE_URI"], schema_template)
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


@dataclass(eq=False)  # hashable by identity: make_group takes {persona: role}
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
    return user_factory(app)


def user_factory(app):
    """make_user's factory, for scenes a module builds once on an app of its own."""
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
    return group_factory(app)


def group_factory(app):
    """make_group's factory, for scenes a module builds once on an app of its own."""
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

    def issue(persona: Persona, client=None) -> str:
        """``client``: one whose address and browser the token should record."""
        client = client or app.test_client()
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    app_config: dict, port: int, extra_env: dict | None = None, log=subprocess.DEVNULL
) -> subprocess.Popen:
    """``python app.py`` for real (gunicorn, threads) on the test's database and data dir;
    ``log``: where its standard output (the access log) goes."""
    root = Path(__file__).resolve().parent.parent
    env = dict(
        os.environ,
        EMISA_DATA_DIR=str(app_config["EMISA_DATA_DIR"]),
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        **(extra_env or {}),
    )
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--threads", "32"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode()[-3000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start within 30 s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def live_server(app, app_config):
    """Base URL of the platform served by a real ``python app.py`` process on the test's data."""
    port = free_port()
    process = start_server(app_config, port)
    yield f"http://127.0.0.1:{port}"
    stop_server(process)


CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (``playwright install`` cannot download here)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "install Debian's chromium package (the CI script does)"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def browser_login(page, base_url: str, persona: Persona, app) -> None:
    """Sign in through the real pages: password form, then a fresh TOTP code."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", persona.email)
    page.fill("input[name=password]", persona.password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/code**")
    page.fill("input[name=code]", totp_code(persona.secret, last_step(app, persona)))
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
