"""A marking changed in the database alone makes its item unreadable, never more visible.

Each case creates an item through the API, then edits its marking with a real SQL
statement (as someone with write access to the database but not the master key
would), and asserts: whoever the edit meant to let in still reads nothing, whoever could
read it before now gets a clear integrity error (500, ``integrity_failure``) on the
page, the API and the download, lists and the library leave it out, and the failure
is in the audit log.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from tests.conftest import Persona, bearer
from tests.discussions.support import api_token

WORD = "tamperedokapi"


@dataclass
class Cast:
    group: int
    author: Persona  # reads the item before the edit
    colleague: Persona  # a member the item's label or recipients keep out
    stranger: Persona  # no member at all, from a country the group does not admit
    tokens: dict

    def h(self, persona: Persona) -> dict:
        return bearer(self.tokens[persona.email])


@pytest.fixture
def cast(app, make_user, make_group) -> Cast:
    author = make_user("author@agency.example", country="BE")
    colleague = make_user("colleague@agency.example", country="FR")
    stranger = make_user("stranger@agency.example", country="US")
    group = make_group(
        "Tamper test",
        countries=["BE", "FR"],
        members={author: "coordinator", colleague: "member"},
    )
    people = (author, colleague, stranger)
    return Cast(group, author, colleague, stranger, {p.email: api_token(app, p) for p in people})


def _create(client, cast: Cast, kind: str, **marking) -> int:
    if kind == "document":
        data = {"title": f"Report {WORD}", "file": (io.BytesIO(b"secret bytes"), "r.txt")}
        data.update(
            {k: ",".join(map(str, v)) if isinstance(v, list) else v for k, v in marking.items()}
        )
        answer = client.post(
            f"/api/v1/groups/{cast.group}/documents",
            data=data,
            headers=cast.h(cast.author),
            content_type="multipart/form-data",
        )
    elif kind == "thread":
        answer = client.post(
            f"/api/v1/groups/{cast.group}/threads",
            json={"title": f"Thread {WORD}", "body": f"About {WORD}.", **marking},
            headers=cast.h(cast.author),
        )
    else:
        answer = client.post(
            f"/api/v1/groups/{cast.group}/meetings",
            json={
                "title": f"Meeting {WORD}",
                "starts_at": "2031-05-01T09:00:00Z",
                "ends_at": "2031-05-01T10:00:00Z",
                "agenda": [],
                **marking,
            },
            headers=cast.h(cast.author),
        )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


TABLES = {"document": "documents", "thread": "threads", "meeting": "meetings"}


def _edit(app, kind: str, item_id: int, **values) -> None:
    """The attacker's edit: straight SQL on the item's row (JSON columns as JSON)."""
    from emisa.extensions import db

    table = sa.table(
        TABLES[kind],
        sa.column("id"),
        sa.column("tlp"),
        sa.column("releasable_to", sa.JSON),
        sa.column("origin_countries", sa.JSON),
    )
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(table.update().where(table.c.id == item_id).values(**values))


def _add_recipient(app, kind: str, item_id: int, group: int, persona: Persona) -> None:
    from emisa.extensions import db

    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO marked_recipients (item_kind, item_id, user_id, group_id) "
                "VALUES (:kind, :item, :user, :group)"
            ),
            {"kind": kind, "item": item_id, "user": persona.id, "group": group},
        )


def _reads(kind: str, item_id: int, group: int) -> tuple[list[str], list[str], list[str]]:
    """(API urls, page urls, list urls) through which the item can be read."""
    if kind == "document":
        api = [f"/api/v1/documents/{item_id}", f"/api/v1/documents/{item_id}/content"]
        lists = [f"/api/v1/groups/{group}/documents", "/api/v1/library"]
        return api, [f"/documents/{item_id}", f"/documents/{item_id}/download"], lists
    if kind == "thread":
        return (
            [f"/api/v1/threads/{item_id}"],
            [f"/threads/{item_id}"],
            [
                f"/api/v1/groups/{group}/threads",
                f"/api/v1/search?q={WORD}",
            ],
        )
    return (
        [f"/api/v1/meetings/{item_id}", f"/api/v1/meetings/{item_id}/ics"],
        [f"/meetings/{item_id}"],
        [f"/api/v1/groups/{group}/meetings"],
    )


def _refused(answer, stranger: bool, url: str) -> None:
    """Nothing of the item: 404 outside the group; members of its group learn only that an
    item of their group failed its check (the same 500 its readers get), never its content."""
    assert answer.status_code == (404 if stranger else 500), url
    assert WORD not in answer.get_data(as_text=True), url


# (kind, marking at creation, how the attacker edits it, who the edit would let in)
CASES = {
    "strict_thread_made_green": (
        "thread",
        {"tlp": "TLP:AMBER+STRICT", "releasable_to": ["BE"]},
        lambda app, cast, kind, item: _edit(app, kind, item, tlp="TLP:GREEN", releasable_to=[]),
        "colleague",
    ),
    "strict_document_made_green": (
        "document",
        {"tlp": "TLP:AMBER+STRICT", "releasable_to": ["BE"]},
        lambda app, cast, kind, item: _edit(app, kind, item, tlp="TLP:GREEN", releasable_to=[]),
        "colleague",
    ),
    "document_country_restriction_removed": (
        "document",
        {"tlp": "TLP:AMBER", "releasable_to": ["BE"]},
        lambda app, cast, kind, item: _edit(app, kind, item, releasable_to=[]),
        "colleague",
    ),
    "thread_origin_countries_removed": (
        "thread",
        {"tlp": "TLP:AMBER"},
        lambda app, cast, kind, item: _edit(app, kind, item, origin_countries=[]),
        "stranger",
    ),
    "red_thread_recipient_added": (
        "thread",
        {"tlp": "TLP:RED"},
        lambda app, cast, kind, item: _add_recipient(app, kind, item, cast.group, cast.colleague),
        "colleague",
    ),
    "red_document_recipient_added": (
        "document",
        {"tlp": "TLP:RED"},
        lambda app, cast, kind, item: _add_recipient(app, kind, item, cast.group, cast.colleague),
        "colleague",
    ),
    "red_meeting_made_amber": (
        "meeting",
        {"tlp": "TLP:RED"},
        lambda app, cast, kind, item: _edit(app, kind, item, tlp="TLP:AMBER"),
        "colleague",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_marking_edited_in_the_database_makes_the_item_unreadable(app, client, login, cast, case):
    kind, marking, tamper, beneficiary_name = CASES[case]
    item = _create(client, cast, kind, **marking)
    api, pages, lists = _reads(kind, item, cast.group)
    author_pages, beneficiary_pages = app.test_client(), app.test_client()
    beneficiary = getattr(cast, beneficiary_name)
    login(author_pages, cast.author)
    if beneficiary is not cast.stranger:
        login(beneficiary_pages, beneficiary)
    # Before the edit: the author reads it, the edit's beneficiary cannot.
    for url in api:
        assert client.get(url, headers=cast.h(cast.author)).status_code == 200, url
        assert client.get(url, headers=cast.h(beneficiary)).status_code == 404, url

    tamper(app, cast, kind, item)

    for url in api:
        answer = client.get(url, headers=cast.h(cast.author))
        assert answer.status_code == 500, url
        assert answer.get_json()["error"]["code"] == "integrity_failure"
        assert "integrity check" in answer.get_json()["error"]["message"]
        _refused(client.get(url, headers=cast.h(beneficiary)), beneficiary is cast.stranger, url)
    for url in pages:
        page = author_pages.get(url)
        assert page.status_code == 500 and "integrity check" in page.get_data(as_text=True), url
        if beneficiary is not cast.stranger:
            _refused(beneficiary_pages.get(url), False, url)
    for url in lists:
        for persona in (cast.author, beneficiary):
            shown = client.get(url, headers=cast.h(persona))
            # 404: the stranger does not even see the group.
            assert shown.status_code in (200, 404), url
            assert WORD not in shown.get_data(as_text=True), (url, persona.email)

    from emisa.audit.models import AuditEntry
    from emisa.extensions import db

    with app.app_context():
        failures = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "marking.integrity_failure")
        ).all()
    assert failures, "the integrity failure was not audited"


def test_re_marking_through_the_platform_seals_again(app, client, cast):
    """A coordinator's own re-marking is not tampering: the item stays readable, newly marked."""
    meeting = _create(client, cast, "meeting", tlp="TLP:RED")
    assert (
        client.get(f"/api/v1/meetings/{meeting}", headers=cast.h(cast.colleague)).status_code == 404
    )
    changed = client.put(
        f"/api/v1/meetings/{meeting}",
        json={
            "title": f"Meeting {WORD}",
            "starts_at": "2031-05-01T09:00:00Z",
            "ends_at": "2031-05-01T10:00:00Z",
            "agenda": [],
            "tlp": "TLP:AMBER",
        },
        headers=cast.h(cast.author),
    )
    assert changed.status_code == 200, changed.get_json()
    for persona in (cast.author, cast.colleague):
        shown = client.get(f"/api/v1/meetings/{meeting}", headers=cast.h(persona))
        assert shown.status_code == 200 and shown.get_json()["tlp"] == "TLP:AMBER"
    # ... and editing it back in the database to RED is tampering again.
    _edit(app, "meeting", meeting, tlp="TLP:RED")
    assert client.get(f"/api/v1/meetings/{meeting}", headers=cast.h(cast.author)).status_code == 500


def test_publishing_in_the_database_alone_publishes_nothing(app, client, make_user, make_group):
    """``public`` is part of a document's sealed marking: only a coordinator's publishing counts."""
    coordinator = make_user("open-coord@agency.example", country="BE")
    group = make_group("Open to every country", members={coordinator: "coordinator"})
    token = api_token(app, coordinator)
    answer = client.post(
        f"/api/v1/groups/{group}/documents",
        data={"title": f"Guide {WORD}", "tlp": "TLP:CLEAR", "file": (io.BytesIO(b"g"), "g.txt")},
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    document = answer.get_json()["id"]
    anonymous = app.test_client()
    assert anonymous.get(f"/library/{document}/download").status_code == 404

    _edit_public(app, document)
    assert anonymous.get(f"/library/{document}/download").status_code == 404
    assert WORD not in anonymous.get("/library").get_data(as_text=True)
    shown = client.get(f"/api/v1/documents/{document}", headers=bearer(token))
    assert shown.status_code == 500 and shown.get_json()["error"]["code"] == "integrity_failure"


def _edit_public(app, document_id: int) -> None:
    from emisa.extensions import db

    table = sa.table("documents", sa.column("id"), sa.column("public"))
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(table.update().where(table.c.id == document_id).values(public=True))
