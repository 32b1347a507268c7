"""``flask emisa create-user``, ``create-group`` and ``add-member`` as CONTRACT.md fixes them."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from emisa.extensions import db
from tests.support.web import post_form

GOOD = "a long enough passphrase"


def create_user(runner, *extra, password=GOOD, email="cli@police.example", country="BE"):
    args = ["emisa", "create-user", "--email", email, "--name", "Cli Person"]
    args += ["--country", country, "--organisation", "Police", *extra]
    return runner.invoke(args=args, input=password + "\nignored second line\n")


def test_create_user_prints_the_otpauth_uri_last_and_the_account_signs_in(app, runner):
    result = create_user(runner, "--admin")
    assert result.exit_code == 0, result.output
    uri = result.stdout.strip().splitlines()[-1]
    assert uri.startswith("otpauth://totp/")
    totp = pyotp.parse_uri(uri)
    client = app.test_client()
    answer = post_form(client, "/login", {"email": "cli@police.example", "password": GOOD})
    assert answer.status_code == 302
    assert post_form(client, "/login/code", {"code": totp.now()}).status_code == 302
    # An admin, and the password was the first line only.
    assert client.get("/admin/accounts").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"country": "XX"}, "not an ISO 3166-1 alpha-2"),
        ({"email": "not-an-email"}, "not a valid email"),
        ({"password": "short"}, "at least 12 characters"),
        ({"password": "aaaaaaaaaaaaaaaa"}, "too few different characters"),
    ],
)
def test_create_user_bad_input_is_one_line_on_stderr_and_exit_1(app, runner, kwargs, message):
    from emisa.accounts.models import User

    result = create_user(runner, **kwargs)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_create_user_duplicate_email_is_refused(app, runner):
    assert create_user(runner).exit_code == 0
    again = create_user(runner, email="CLI@police.example")
    assert again.exit_code == 1
    assert len(again.stderr.strip().splitlines()) == 1
    assert "already exists" in again.stderr


def test_create_group_prints_its_id_last_and_add_member_adds(app, runner, make_user):
    from emisa.groups.models import Membership, WorkingGroup

    person = make_user(country="NL")
    result = runner.invoke(
        args=["emisa", "create-group", "--name", "Cli group", "--countries", "nl,BE"]
    )
    assert result.exit_code == 0, result.output
    group_id = int(result.stdout.strip().splitlines()[-1])
    added = runner.invoke(
        args=[
            "emisa",
            "add-member",
            "--group",
            str(group_id),
            "--email",
            person.email,
            "--role",
            "coordinator",
        ]
    )
    assert added.exit_code == 0, added.output
    with app.app_context():
        group = db.session.get(WorkingGroup, group_id)
        assert group.allowed_countries == ["BE", "NL"]
        membership = db.session.scalar(select(Membership).where(Membership.user_id == person.id))
        assert (membership.group_id, membership.role) == (group_id, "coordinator")


@pytest.mark.parametrize(
    "args",
    [
        ["create-group", "--name", "Bad countries", "--countries", "BE,ZZ"],
        ["create-group", "--name", "x"],
        ["add-member", "--group", "999", "--email", "a@b.example", "--role", "member"],
    ],
)
def test_group_commands_bad_input(app, runner, args):
    result = runner.invoke(args=["emisa", *args])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1


def test_add_member_refuses_a_country_outside_the_group(app, runner, make_user, make_group):
    person = make_user(country="FR")
    gid = make_group(countries=["BE"])
    result = runner.invoke(
        args=[
            "emisa",
            "add-member",
            "--group",
            str(gid),
            "--email",
            person.email,
            "--role",
            "member",
        ]
    )
    assert result.exit_code == 1
    assert "not open to" in result.stderr
