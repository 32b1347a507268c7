"""A small platform with one person of every kind, signed in for real, for the access tests.

Accounts are inserted with one pre-computed Argon2 hash (hashing costs ~50 ms each); every
sign-in still goes through the real password and TOTP steps. The states that would normally
end a session (suspension, an expiry date passing) are set directly in the database *after*
the sign-in, so the tests prove that the state check alone refuses them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

import pyotp
from sqlalchemy import update

from emisa.extensions import db
from tests.conftest import PASSWORD, Persona, last_step
from tests.support.web import csrf_from, post_form, totp_code

PERSONAS = (
    "anonymous",
    "password_only",
    "suspended",
    "expired",
    "non_member",
    "wrong_country",
    "observer",
    "member",
    "coordinator",
    "admin",
)
# Refused before any rule runs; what the browser and the API answer them.
UNSIGNED = ("anonymous", "password_only", "suspended", "expired")
PAGE_REFUSAL = {
    "anonymous": "login",
    "password_only": "code",
    "suspended": "login",
    "expired": "login",
}
API_REFUSAL = dict.fromkeys(UNSIGNED, 401)
# Every CSRF field name the account forms use (each form has its own prefix).
CSRF_FIELDS = ("csrf_token", "pw-csrf_token", "rc-csrf_token", "re-csrf_token", "tk-csrf_token")
ALLOWED = ["BE", "NL"]
_counter = itertools.count(1)


@cache
def password_hash() -> str:
    from emisa.accounts.passwords import hash_password

    return hash_password(PASSWORD)


def insert_user(
    app,
    *,
    country: str = "BE",
    admin: bool = False,
    state: str = "active",
    enrolled: bool = True,
    with_password: bool = True,
    expires_in: timedelta | None = None,
) -> Persona:
    """An account straight in the database (no hashing per account)."""
    from emisa.accounts import totp
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.timeutil import utcnow

    n = next(_counter)
    email, name = f"person{n}@agency.example", f"Person {n}"
    secret = pyotp.random_base32(32) if enrolled else None
    with app.app_context():
        user = User(
            email=email,
            name=name,
            organisation="Agency",
            country=country,
            role="admin" if admin else "user",
            state=state,
            password_hash=password_hash() if with_password else None,
            totp_secret=totp.seal_secret(secret) if secret else None,
            totp_enrolled_at=utcnow() if secret else None,
            expires_at=utcnow() + expires_in if expires_in else None,
        )
        db.session.add(user)
        commit()
        return Persona(user.id, email, name, country, PASSWORD, secret)


def set_account(app, persona: Persona, **values) -> None:
    """Change an account's row behind the platform's back (as time or an operator would)."""
    from emisa.accounts.models import User

    with app.app_context():
        db.session.execute(update(User).where(User.id == persona.id).values(**values))
        db.session.commit()


def web_sign_in(app, persona: Persona, *, full: bool = True, client=None):
    """A test client signed in through the real form(s)."""
    client = client or app.test_client()
    answer = post_form(client, "/login", {"email": persona.email, "password": persona.password})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    if full:
        code = totp_code(persona.secret, last_step(app, persona))
        answer = post_form(client, "/login/code", {"code": code})
        assert answer.status_code == 302 and "/login" not in answer.headers["Location"]
    return client


def api_sign_in(app, persona: Persona) -> str:
    answer = app.test_client().post(
        "/api/v1/auth/token",
        json={
            "email": persona.email,
            "password": persona.password,
            "otp": totp_code(persona.secret, last_step(app, persona)),
        },
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["token"]


def csrf_token(client, page: str) -> str:
    return csrf_from(client.get(page).get_data(as_text=True))


def outcome(response) -> str | int:
    """What a person sees: sent to sign in, sent to the code step, or a status code."""
    if response.status_code == 302:
        location = response.headers["Location"]
        path = re.sub(r"^https?://[^/]+", "", location).split("?")[0]
        if path == "/login":
            return "login"
        if path == "/login/code":
            return "code"
    return response.status_code


@dataclass
class World:
    """A request-policy group restricted to BE and NL, and one person of every kind."""

    app: object
    people: dict[str, Persona] = field(default_factory=dict)
    group_id: int = 0

    @classmethod
    def build(cls, app) -> World:
        world = cls(app)
        people = world.people
        people["password_only"] = insert_user(app)
        people["suspended"] = insert_user(app)
        people["expired"] = insert_user(app, expires_in=timedelta(days=30))
        people["non_member"] = insert_user(app)
        people["wrong_country"] = insert_user(app, country="FR")
        people["observer"] = insert_user(app, country="NL")
        people["member"] = insert_user(app, country="NL")
        people["coordinator"] = insert_user(app)
        people["admin"] = insert_user(app, country="DE", admin=True)
        world.group_id = world.new_group()
        return world

    def new_group(self, *, join_policy: str = "request") -> int:
        """A group with the world's roles: the refused personas are members or coordinators."""
        from emisa.accounts.models import User
        from emisa.database import commit
        from emisa.groups.operations import add_member, create_group

        roles = {
            "password_only": "coordinator",
            "suspended": "coordinator",
            "expired": "coordinator",
            "observer": "observer",
            "member": "member",
            "coordinator": "coordinator",
        }
        with self.app.app_context():
            group = create_group(f"Restricted group {next(_counter)}", "", ALLOWED, join_policy)
            for key, role in roles.items():
                user = db.session.get(User, self.people[key].id)
                add_member(group, user, role, by=None)
            commit()
            return group.id

    def group_name(self, group_id: int) -> str:
        from emisa.groups.models import WorkingGroup

        with self.app.app_context():
            return db.session.get(WorkingGroup, group_id).name

    def newcomer(self, **kwargs) -> Persona:
        return insert_user(self.app, enrolled=False, with_password=False, **kwargs)

    def join_request(self) -> int:
        """A fresh pending join request to the world's group."""
        from emisa.accounts.models import User
        from emisa.database import commit
        from emisa.groups.models import WorkingGroup
        from emisa.groups.operations import request_to_join

        person = self.newcomer()
        with self.app.app_context():
            group = db.session.get(WorkingGroup, self.group_id)
            made = request_to_join(group, db.session.get(User, person.id), "I work on this.")
            commit()
            return made.id

    def membership(self) -> int:
        """A fresh ordinary member of the world's group; returns the membership id."""
        from emisa.accounts.models import User
        from emisa.database import commit
        from emisa.groups.models import WorkingGroup
        from emisa.groups.operations import add_member

        person = self.newcomer()
        with self.app.app_context():
            group = db.session.get(WorkingGroup, self.group_id)
            made = add_member(group, db.session.get(User, person.id), "member", by=None)
            commit()
            return made.id

    def foreign_session(self) -> int:
        """Someone else's live browser session."""
        from emisa.accounts.models import AuthSession
        from emisa.database import commit
        from emisa.timeutil import utcnow

        person = self.newcomer()
        with self.app.app_context():
            row = AuthSession(
                user_id=person.id,
                key_hash=f"{next(_counter):064d}",
                stage="full",
                expires_at=utcnow() + timedelta(hours=1),
            )
            db.session.add(row)
            commit()
            return row.id

    def foreign_token(self) -> int:
        from emisa.accounts.models import ApiToken
        from emisa.database import commit
        from emisa.timeutil import utcnow

        person = self.newcomer()
        with self.app.app_context():
            row = ApiToken(
                user_id=person.id,
                token_hash=f"{next(_counter):064d}",
                expires_at=utcnow() + timedelta(hours=1),
            )
            db.session.add(row)
            commit()
            return row.id

    # --- signed-in clients -----------------------------------------------------------------

    def sign_everyone_in(self) -> tuple[dict, dict]:
        """Browser clients (with their CSRF token) and API tokens for every persona.

        Each persona's client comes from its own address, so the per-address lockout of one
        never touches another. The password-only persona sends the cookie of its unfinished
        sign-in to the API too: it must be worth nothing there.
        """
        app, people = self.app, self.people
        clients: dict[str, tuple[object, str]] = {}
        for index, key in enumerate(PERSONAS):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.0.{index + 1}"
            if key == "anonymous":
                clients[key] = (client, csrf_token(client, "/login"))
                continue
            web_sign_in(app, people[key], full=key != "password_only", client=client)
            page = "/login/code" if key == "password_only" else "/account"
            clients[key] = (client, csrf_token(client, page))
        tokens: dict[str, str | None] = {"anonymous": None, "password_only": None}
        for key in PERSONAS[2:]:
            tokens[key] = api_sign_in(app, people[key])
        self.end_states()
        return clients, tokens

    def end_states(self) -> None:
        from emisa.timeutil import utcnow

        set_account(self.app, self.people["suspended"], state="suspended")
        set_account(self.app, self.people["expired"], expires_at=utcnow() - timedelta(minutes=1))
