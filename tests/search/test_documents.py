"""Document titles are searchable (the documents feature announces them), for readers only."""

from __future__ import annotations

import io

from tests.discussions.support import new_thread


def _search(client, team, persona, q):
    response = client.get("/api/v1/search", query_string={"q": q}, headers=team.h(persona))
    assert response.status_code == 200, response.get_json()
    return {(hit["kind"], hit["id"]): hit for hit in response.get_json()}


def _upload(client, team, persona, title, tlp="TLP:AMBER", **extra):
    response = client.post(
        f"/api/v1/groups/{team.group}/documents",
        data={
            "file": (io.BytesIO(b"%s content" % title.encode()), "file.txt"),
            "title": title,
            "tlp": tlp,
            **extra,
        },
        content_type="multipart/form-data",
        headers=team.h(persona),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_documents_title_is_found_by_its_readers(client, team):
    doc_id = _upload(client, team, team.member, "Handbook on xylograph recruitment")
    hits = _search(client, team, team.observer, "XYLOGRAPH")
    assert ("document", doc_id) in hits
    assert hits[("document", doc_id)]["title"] == "Handbook on xylograph recruitment"
    assert hits[("document", doc_id)]["tlp"] == "TLP:AMBER"
    assert _search(client, team, team.outsider, "xylograph") == {}


def test_not_found_by_a_member_who_may_not_read_the_document(client, team):
    red = _upload(
        client,
        team,
        team.member,
        "Quarterlyzephyr source list",
        tlp="TLP:RED",
        recipients=str(team.coordinator.id),
    )
    assert ("document", red) in _search(client, team, team.coordinator, "quarterlyzephyr")
    assert ("document", red) in _search(client, team, team.member, "quarterlyzephyr")
    assert _search(client, team, team.observer, "quarterlyzephyr") == {}
    assert _search(client, team, team.outsider, "quarterlyzephyr") == {}


def test_an_attachment_is_found_by_its_file_name(client, team):
    tid = new_thread(client, team, tlp="TLP:RED", recipients=[team.coordinator.id])
    answer = client.post(
        f"/api/v1/threads/{tid}/posts",
        data={"body": "Attached.", "file": (io.BytesIO(b"rows"), "marigoldtables.csv")},
        content_type="multipart/form-data",
        headers=team.h(team.member),
    )
    doc_id = answer.get_json()["attachments"][0]
    assert ("document", doc_id) in _search(client, team, team.coordinator, "marigoldtables.csv")
    assert _search(client, team, team.observer, "marigoldtables.csv") == {}
