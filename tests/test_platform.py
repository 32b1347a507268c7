"""First start: the schema, the eight EMISA working groups, and how to create the first admin."""

from __future__ import annotations

from sqlalchemy import select

from emisa.extensions import db
from emisa.platform import prepare_platform

EMISA_GROUPS = {
    "Foreign terrorist fighters",
    "P/CVE",
    "Prison and probation",
    "Cyber capacities",
    "Countering terrorism financing",
    "Investigative capabilities",
    "Online propaganda",
    "Judicial cooperation",
}


def group_names(app) -> list[str]:
    from emisa.groups.models import WorkingGroup

    with app.app_context():
        return list(db.session.scalars(select(WorkingGroup.name)))


def test_first_start_creates_the_groups_and_says_how_to_create_an_admin(app, capsys, runner):
    prepare_platform(app)
    out = capsys.readouterr().out
    assert sorted(group_names(app)) == sorted(EMISA_GROUPS)
    assert "Created 8 EMISA working groups." in out
    assert "No administrator yet" in out
    assert "flask --app app emisa create-user --admin" in out
    # A second start keeps everything and creates nothing twice.
    prepare_platform(app)
    again = capsys.readouterr().out
    assert "Created" not in again
    assert len(group_names(app)) == 8
    # Once an administrator exists, the hint is gone.
    result = runner.invoke(
        args=[
            "emisa",
            "create-user",
            "--admin",
            "--email",
            "root@agency.example",
            "--name",
            "Root Admin",
            "--country",
            "BE",
            "--organisation",
            "EMISA",
        ],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0
    prepare_platform(app)
    assert "No administrator yet" not in capsys.readouterr().out
