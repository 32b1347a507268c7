"""A working group with one person per role, and API helpers, for discussion tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import Persona, bearer


@dataclass
class Team:
    group: int
    coordinator: Persona
    member: Persona
    observer: Persona
    outsider: Persona
    tokens: dict

    def h(self, persona: Persona) -> dict:
        return bearer(self.tokens[persona.email])


def add_members(app, group_id: int, roles: list[tuple[Persona, str]]) -> None:
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import WorkingGroup
    from emisa.groups.operations import add_member

    with app.app_context():
        group = db.session.get(WorkingGroup, group_id)
        for persona, role in roles:
            add_member(group, db.session.get(User, persona.id), role, by=None)
        commit()


def api_token(app, persona: Persona) -> str:
    """A bearer token issued as the API sign-in issues it (sign-in itself is tested elsewhere;
    repeating four Argon2 and TOTP round trips in every discussion test only slows the suite)."""
    from emisa.accounts.models import User
    from emisa.accounts.sessions import issue_token
    from emisa.database import commit
    from emisa.extensions import db

    with app.app_context():
        _token, plain = issue_token(db.session.get(User, persona.id), "tests")
        commit()
        return plain


def team_fixture():
    @pytest.fixture
    def team(app, make_user, make_group):
        coordinator = make_user(name="Coordinator Colette", country="FR")
        member = make_user(name="Member Mohamed", country="TN")
        observer = make_user(name="Observer Olga", country="BE")
        outsider = make_user(name="Outsider Otto", country="DE")
        group = make_group("Prison and probation test")
        add_members(
            app,
            group,
            [(coordinator, "coordinator"), (member, "member"), (observer, "observer")],
        )
        tokens = {p.email: api_token(app, p) for p in (coordinator, member, observer, outsider)}
        return Team(group, coordinator, member, observer, outsider, tokens)

    return team


def new_thread(client, team: Team, *, by=None, title="Screening returnees", body="How?", **extra):
    data = {"title": title, "body": body, "tlp": extra.pop("tlp", "TLP:AMBER"), **extra}
    response = client.post(
        f"/api/v1/groups/{team.group}/threads", json=data, headers=team.h(by or team.member)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def reply(client, team: Team, thread_id: int, body: str, *, by=None, parent_id=None):
    return client.post(
        f"/api/v1/threads/{thread_id}/posts",
        json={"body": body, "parent_id": parent_id},
        headers=team.h(by or team.member),
    )


def sign_in(page, base_url: str, persona: Persona, app) -> None:
    """Like ``tests.conftest.browser_login``, but clicks the form's own submit button: on the
    code page the first submit button of the document is the top bar's "Cancel sign-in"."""
    from tests.conftest import last_step
    from tests.support.web import totp_code

    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", persona.email)
    page.fill("input[name=password]", persona.password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/code**")
    page.fill("input[name=code]", totp_code(persona.secret, last_step(app, persona)))
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def at_rest(app, app_config) -> list[tuple[str, bytes]]:
    """Everything stored: every database value, and every file under the data directory and
    (SQLite) the database's directory, as (where, bytes) pairs to search for a canary."""
    from pathlib import Path

    from emisa.extensions import db

    found = []
    with app.app_context(), db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    data = value if isinstance(value, bytes) else str(value).encode()
                    found.append((f"table {table.name}", data))
    roots = [Path(app_config["EMISA_DATA_DIR"])]
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        roots.append(Path(url.removeprefix("sqlite:///")).parent)
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                found.append((str(path), path.read_bytes()))
    return found
