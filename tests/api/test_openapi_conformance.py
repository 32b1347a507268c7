"""The API is what its OpenAPI document says: schemathesis, in-process, against a seeded platform.

Every operation of ``/api/v1/openapi.json`` is called with generated requests (valid and
invalid) by a member of a group that has a thread, a document and a meeting; every check
runs (no server error, responses and headers as documented, invalid input refused, valid
input accepted, undeclared methods answered 405 ...). Then the stateful phase follows the
document's links, so an id created by one operation is used by the next.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from emisa.extensions import db
from tests.conftest import bearer, group_factory, module_platform, user_factory

# About two minutes on SQLite on two cores: it runs in the PostgreSQL pass only.
pytestmark = pytest.mark.postgresql

EXAMPLES_PER_OPERATION = 25


@dataclass(frozen=True)
class Platform:
    app: object
    member_token: str
    group_id: int
    thread_id: int
    document_id: int
    meeting_id: int


def _token(app, persona) -> str:
    from emisa.accounts.models import User
    from emisa.accounts.sessions import issue_token
    from emisa.database import commit

    with app.test_request_context():
        _, plain = issue_token(db.session.get(User, persona.id), "conformance")
        commit()
    return plain


def seed(app) -> Platform:
    """A member with a token in a group with a thread, a document and a meeting (scheduled by
    its coordinator), and the ids of each."""
    make_user, make_group = user_factory(app), group_factory(app)
    coordinator, member = make_user(country="BE"), make_user(country="FR")
    group_id = make_group(members={coordinator: "coordinator", member: "member"})
    coordinator_token, member_token = _token(app, coordinator), _token(app, member)
    client = app.test_client()
    thread = client.post(
        f"/api/v1/groups/{group_id}/threads",
        json={"title": "Returnees", "body": "First **post**", "tlp": "TLP:AMBER"},
        headers=bearer(member_token),
    )
    document = client.post(
        f"/api/v1/groups/{group_id}/documents",
        data={"title": "Report", "tlp": "TLP:GREEN", "file": (io.BytesIO(b"%PDF-1.4"), "r.pdf")},
        headers=bearer(member_token),
        content_type="multipart/form-data",
    )
    meeting = client.post(
        f"/api/v1/groups/{group_id}/meetings",
        json={
            "title": "Monthly call",
            "starts_at": "2030-01-10T09:00:00Z",
            "ends_at": "2030-01-10T10:00:00Z",
            "tlp": "TLP:GREEN",
        },
        headers=bearer(coordinator_token),
    )
    for answer in (thread, document, meeting):
        assert answer.status_code == 201, answer.get_json()
    return Platform(
        app,
        member_token,
        group_id,
        thread.get_json()["id"],
        document.get_json()["id"],
        meeting.get_json()["id"],
    )


@pytest.fixture(scope="module")
def platform(tmp_path_factory, schema_template):
    with module_platform(tmp_path_factory, schema_template, "conformance") as (app, _config):
        yield seed(app)


@pytest.fixture(scope="module")
def api_schema(platform):
    """The document as the app serves it; half the generated path ids are the seeded ones, so
    operations are exercised past their 404 too."""
    seeded = {
        "group": platform.group_id,
        "thread": platform.thread_id,
        "document": platform.document_id,
        "meeting": platform.meeting_id,
    }
    parameters = {
        "gid": "group",
        "group_id": "group",
        "tid": "thread",
        "document_id": "document",
        "meeting_id": "meeting",
    }
    config = SchemathesisConfig.from_dict(
        {
            # Deterministic: the same requests every run, so CI never fails on a draw of luck.
            "seed": 16,
            # How long generating a body takes is the machine's load, not the API's behaviour.
            "suppress-health-check": ["too_slow"],
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
            # Every check but one: schemathesis 4.32's ignored_auth probe hands the in-process
            # (WSGI) client a requests-only argument (max_redirects) and errors on every
            # operation. Refusing callers without a token is tested in test_api_v1.py.
            "checks": {"enabled": True, "ignored_auth": {"enabled": False}},
            "headers": bearer(platform.member_token),
            "dictionaries": {name: {"values": [value]} for name, value in seeded.items()},
            "parameters": {
                f"path.{name}": {"dictionary": dictionary, "probability": 0.5}
                for name, dictionary in parameters.items()
            },
        }
    )
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", platform.app, config=config)


def test_the_api_is_what_its_openapi_document_says(api_schema):
    """Every phase (examples, coverage, fuzzing, stateful links), every check; a failure is
    listed with the request that reproduces it."""
    failures = []
    for event in schemathesis.engine.from_schema(api_schema).execute():
        if isinstance(event, (events.FatalError, events.NonFatalError)):
            failures.append(f"{getattr(event, 'label', 'engine')}: {event.info.format()}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        for checks in event.recorder.checks.values():
            for check in checks:
                if check.failure_info is not None:
                    failure = check.failure_info.failure
                    failures.append(
                        f"{event.recorder.label}: {failure.title}: {failure.message}\n"
                        f"{check.failure_info.code_sample}"
                    )
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(sorted(set(failures)))
