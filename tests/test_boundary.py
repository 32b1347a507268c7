"""One unit of work per request, Socket.IO event and CLI command, and one refusal type.

An operation that fails half-way leaves nothing behind (its rows and the audit entries that
follow them), whatever the way in; entries that stand on their own are still written; a
GET writes nothing but its audit entries and, once it committed, its small writes (a "seen"
marker) in the same transaction; a refusal answers with its status everywhere.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, request, url_for

from emisa import audit
from emisa.audit.models import AuditEntry
from emisa.cli import BoundaryGroup, fail
from emisa.database import write_after_commit
from emisa.extensions import csrf, db
from emisa.operations import OperationError
from emisa.people.models import ExpertiseTerm
from emisa.web import on_refusal
from tests.conftest import bearer

STANDALONE = "test.standalone_event"


def _half_way(label: str) -> None:
    """Store a row and its audit entry, queue an entry that stands on its own, then refuse."""
    db.session.add(ExpertiseTerm(label=label))
    db.session.flush()
    audit.record("test.term_added", details={"label": label})
    audit.record_event(STANDALONE)
    raise OperationError("Refused half-way.", 409, "half_way")


def _stored(app, label: str) -> tuple[bool, list[str]]:
    """Whether the row exists, and the audit actions written."""
    with app.app_context():
        row = db.session.scalar(sa.select(ExpertiseTerm).where(ExpertiseTerm.label == label))
        actions = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))
    return row is not None, actions


@pytest.fixture
def app(app):
    """The platform with a few routes that fail half-way (or succeed) through the boundary."""
    probe = Blueprint("boundary_probe", __name__)

    @probe.route("/boundary/page", methods=["POST"])
    def page_back():
        on_refusal(url_for("auth.account"))
        _half_way("page-back")

    @probe.route("/boundary/error-page", methods=["POST"])
    def page_error():
        _half_way("error-page")

    @probe.route("/boundary/form", methods=["POST"])
    def page_form():
        on_refusal(lambda status: ("the form again", status))
        _half_way("form-again")

    @probe.route("/boundary/stored", methods=["POST"])
    def stored():
        db.session.add(ExpertiseTerm(label="stored"))
        audit.record("test.term_added", details={"label": "stored"})
        return jsonify({"ok": True}), 201

    @probe.route("/boundary/read")
    def read():
        """A read that stores a small write once it succeeded (as a "seen" marker is)."""
        audit.record_event("test.read")
        if "label" in request.args:
            write_after_commit(sa.insert(ExpertiseTerm).values(label=request.args["label"]))
        if "refuse" in request.args:
            abort(404)
        return jsonify({"ok": True})

    @probe.route("/api/v1/boundary", methods=["POST"])
    def api_half_way():
        _half_way("api")

    csrf.exempt(probe)
    app.register_blueprint(probe)
    return app


def test_a_page_refused_half_way_keeps_nothing_and_goes_back_with_the_message(app, client):
    response = client.post("/boundary/page")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account")
    with client.session_transaction() as session:
        assert ("danger", "Refused half-way.") in session["_flashes"]
    assert _stored(app, "page-back") == (False, [STANDALONE])


def test_a_page_refused_without_a_way_back_is_an_error_page_with_the_status(app, client):
    response = client.post("/boundary/error-page")
    assert response.status_code == 409
    assert "Refused half-way." in response.get_data(as_text=True)
    assert _stored(app, "error-page") == (False, [STANDALONE])


def test_a_refused_form_is_shown_again_with_the_refusals_status(app, client):
    response = client.post("/boundary/form")
    assert (response.status_code, response.get_data(as_text=True)) == (409, "the form again")
    assert _stored(app, "form-again") == (False, [STANDALONE])


def test_a_request_that_succeeds_is_committed_with_its_audit_entry(app, client):
    assert client.post("/boundary/stored").status_code == 201
    assert _stored(app, "stored") == (True, ["test.term_added"])


def test_an_api_call_refused_half_way_keeps_nothing_and_answers_the_error_format(
    app, make_user, token_for
):
    token = token_for(make_user())
    before = _stored(app, "api")[1]
    response = app.test_client().post("/api/v1/boundary", headers=bearer(token))
    assert response.status_code == 409
    assert response.get_json() == {"error": {"code": "half_way", "message": "Refused half-way."}}
    assert _stored(app, "api") == (False, [*before, STANDALONE])


def test_a_cli_command_that_fails_half_way_keeps_nothing(app):
    group = BoundaryGroup("boundary-test")

    @group.command("half-way")
    def half_way_command() -> None:
        db.session.add(ExpertiseTerm(label="cli"))
        db.session.flush()
        audit.record("test.term_added", details={"label": "cli"})
        audit.record_event(STANDALONE)
        fail("refused half-way")

    @group.command("store")
    def store_command() -> None:
        db.session.add(ExpertiseTerm(label="cli-stored"))

    app.cli.add_command(group)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["boundary-test", "half-way"])
    assert result.exit_code == 1 and "error: refused half-way" in result.output
    assert _stored(app, "cli") == (False, [STANDALONE])
    assert runner.invoke(args=["boundary-test", "store"]).exit_code == 0
    assert _stored(app, "cli-stored")[0]


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if not table.name.startswith("audit")
        }


def test_a_get_writes_no_row_but_its_audit_entries(app, make_user, make_group, login):
    member = make_user()
    group = make_group("Readers", members={member: "member"})
    client = app.test_client()
    login(client, member)
    before = _row_counts(app)
    for path in ("/", "/groups", f"/groups/{group}", f"/groups/{group}/discussions", "/account"):
        assert client.get(path).status_code == 200, path
    assert _row_counts(app) == before


def _transactions(app, client, path: str) -> tuple[int, int]:
    """The answer's status and how many transactions committed while ``path`` was read."""
    committed = []

    def count(_connection) -> None:
        committed.append(1)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "commit", count)
    try:
        status = client.get(path).status_code
    finally:
        sa.event.remove(engine, "commit", count)
    return status, len(committed)


def test_a_reads_small_write_is_stored_with_its_audit_entry_at_no_extra_transaction(app, client):
    assert _transactions(app, client, "/boundary/read?label=seen") == _transactions(
        app, client, "/boundary/read"
    )
    stored, actions = _stored(app, "seen")
    assert stored and actions.count("test.read") == 2


def test_a_refused_reads_small_write_is_dropped_but_its_audit_entry_stays(app, client):
    assert client.get("/boundary/read?label=refused&refuse=1").status_code == 404
    assert _stored(app, "refused") == (False, ["test.read"])


def test_a_small_write_that_fails_loses_neither_the_answer_nor_the_audit_entries(app, client):
    assert client.get("/boundary/read?label=twice").status_code == 200
    # The label is taken: this write fails at the database, after the answer was decided.
    assert client.get("/boundary/read?label=twice").status_code == 200
    stored, actions = _stored(app, "twice")
    assert stored and actions == ["test.read", "test.read"]
