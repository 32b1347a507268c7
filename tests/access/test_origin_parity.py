"""Country restrictions travel with content: every way content crosses groups keeps them.

Group A is open to BE, FR and NL; group B to BE and US. Content born in A may reach
members of B (a thread moved, a document re-shared, a file attached after a move, the
library), but never a member from the US, whom A never admitted: each crossing is tried
for real and the US member's every way in (page, API, download, list, search, library)
is asserted shut while a Belgian member of B gets in, so the check cannot pass vacuously.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from tests.conftest import Persona, bearer
from tests.discussions.support import api_token
from tests.support.web import post_form

WORD = "zanzibarquokka"


@dataclass
class Borders:
    a: int
    b: int
    coordinator: Persona
    us_member: Persona
    be_member: Persona
    tokens: dict

    def h(self, persona: Persona) -> dict:
        return bearer(self.tokens[persona.email])


@pytest.fixture
def borders(app, make_user, make_group) -> Borders:
    coordinator = make_user("coord@agency.example", country="BE")
    fr_member = make_user("fr@agency.example", country="FR")
    us_member = make_user("us@agency.example", country="US")
    be_member = make_user("be@agency.example", country="BE")
    a = make_group(
        "Open to BE FR NL",
        countries=["BE", "FR", "NL"],
        members={coordinator: "coordinator", fr_member: "member"},
    )
    b = make_group(
        "Open to BE US",
        countries=["BE", "US"],
        members={coordinator: "coordinator", us_member: "member", be_member: "member"},
    )
    people = (coordinator, us_member, be_member)
    return Borders(
        a, b, coordinator, us_member, be_member, {p.email: api_token(app, p) for p in people}
    )


def _thread(client, borders: Borders, group: int, tlp: str = "TLP:AMBER") -> int:
    answer = client.post(
        f"/api/v1/groups/{group}/threads",
        json={"title": f"Routes {WORD}", "body": f"Findings about {WORD}.", "tlp": tlp},
        headers=borders.h(borders.coordinator),
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _document(client, borders: Borders, group: int, tlp: str = "TLP:AMBER") -> int:
    answer = client.post(
        f"/api/v1/groups/{group}/documents",
        data={"title": f"Report {WORD}", "tlp": tlp, "file": (io.BytesIO(b"contents"), "r.txt")},
        headers=borders.h(borders.coordinator),
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _move(app, login, borders: Borders, thread_id: int) -> None:
    browser = app.test_client()
    login(browser, borders.coordinator)
    moved = post_form(browser, f"/threads/{thread_id}/move", {"target": str(borders.b)})
    assert moved.status_code == 302, moved.get_data(as_text=True)[:400]


def _search(client, borders: Borders, persona: Persona) -> set[str]:
    answer = client.get(f"/api/v1/search?q={WORD}", headers=borders.h(persona))
    assert answer.status_code == 200
    return {hit["url"] for hit in answer.get_json()}


def _thread_urls(thread_id: int) -> list[str]:
    return [f"/api/v1/threads/{thread_id}"]


def _document_urls(document_id: int) -> list[str]:
    return [f"/api/v1/documents/{document_id}", f"/api/v1/documents/{document_id}/content"]


def moved_thread(app, client, login, borders):
    thread_id = _thread(client, borders, borders.a)
    # Before the move the US member is not even in the thread's group: 404.
    assert (
        client.get(f"/api/v1/threads/{thread_id}", headers=borders.h(borders.us_member)).status_code
        == 404
    )
    _move(app, login, borders, thread_id)
    return _thread_urls(thread_id), [f"/threads/{thread_id}"], f"/threads/{thread_id}"


def reshared_document(app, client, login, borders):
    document_id = _document(client, borders, borders.a)
    shared = client.post(
        f"/api/v1/documents/{document_id}/shares",
        json={"group_id": borders.b},
        headers=borders.h(borders.coordinator),
    )
    assert shared.status_code == 201, shared.get_json()
    return _document_urls(document_id), [f"/documents/{document_id}"], f"/documents/{document_id}"


def attachment_after_move(app, client, login, borders):
    thread_id = _thread(client, borders, borders.a)
    _move(app, login, borders, thread_id)
    answer = client.post(
        f"/api/v1/threads/{thread_id}/posts",
        data={"body": "The file.", "file": [(io.BytesIO(b"attached"), f"{WORD}.txt")]},
        headers=borders.h(borders.coordinator),
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    (document_id,) = answer.get_json()["attachments"]
    pages = [f"/documents/{document_id}", f"/threads/{thread_id}"]
    return _document_urls(document_id), pages, f"/documents/{document_id}"


def library_document(app, client, login, borders):
    document_id = _document(client, borders, borders.a, tlp="TLP:GREEN")
    return _document_urls(document_id), [f"/documents/{document_id}"], None


CROSSINGS = [moved_thread, reshared_document, attachment_after_move, library_document]


@pytest.mark.parametrize("crossing", CROSSINGS, ids=lambda fn: fn.__name__)
def test_a_restriction_of_the_origin_group_travels_with_its_content(
    app, client, login, borders, crossing
):
    api_urls, pages, search_url = crossing(app, client, login, borders)
    us_browser, be_browser = app.test_client(), app.test_client()
    login(us_browser, borders.us_member)
    login(be_browser, borders.be_member)

    for url in api_urls:
        assert client.get(url, headers=borders.h(borders.be_member)).status_code == 200, url
        assert client.get(url, headers=borders.h(borders.us_member)).status_code == 404, url
    for url in pages:
        assert be_browser.get(url).status_code == 200, url
        assert us_browser.get(url).status_code == 404, url
    if search_url is not None:
        assert search_url not in _search(client, borders, borders.us_member)
        # Search looks in the reader's own groups: hits for what now lives in group B.
        if crossing in (moved_thread, attachment_after_move):
            assert search_url in _search(client, borders, borders.be_member)

    # Lists: the group's documents and threads, and the cross-group library.
    for listing in (
        f"/api/v1/groups/{borders.b}/documents",
        f"/api/v1/groups/{borders.b}/threads",
        "/api/v1/library",
    ):
        shown = client.get(listing, headers=borders.h(borders.us_member))
        assert shown.status_code == 200
        assert WORD not in shown.get_data(as_text=True), listing
    library = client.get("/api/v1/library", headers=borders.h(borders.be_member)).get_json()
    if crossing is library_document:
        assert any(WORD in d["title"] for d in library)
