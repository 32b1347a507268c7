"""Files attached to posts: documents of the thread's group with the thread's marking."""

from __future__ import annotations

import io
import re

from tests.discussions.support import add_members, api_token, at_rest, new_thread
from tests.support.web import csrf_from, post_form

CANARY = b"ATTACHCANARYv8q2"
# Larger than Werkzeug's in-memory limit for form files (500 KB) and many 64 KiB segments.
BIG = (b"Interview protocol, confidential. " + CANARY + b"\n") * 20_000


def _attach(client, team, tid, files, *, body="See the attached files.", by=None, **extra):
    data = {"body": body, **extra, "file": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(
        f"/api/v1/threads/{tid}/posts",
        data=data,
        content_type="multipart/form-data",
        headers=team.h(by or team.member),
    )


def _post(client, team, tid, post_id, persona):
    thread = client.get(f"/api/v1/threads/{tid}", headers=team.h(persona)).get_json()
    return next(p for p in thread["posts"] if p["id"] == post_id)


def test_api_attachments_become_documents_with_the_threads_marking(client, team):
    tid = new_thread(client, team, tlp="TLP:AMBER+STRICT", releasable_to=["FR", "TN", "BE"])
    answer = _attach(
        client, team, tid, [("protocol.txt", BIG), ("Überblick 2024.csv", b"a,b\n1,2\n")]
    )
    assert answer.status_code == 201, answer.get_json()
    created = answer.get_json()
    assert len(created["attachments"]) == 2

    sent = [("protocol.txt", BIG), ("Überblick 2024.csv", b"a,b\n1,2\n")]
    for doc_id, (name, content) in zip(created["attachments"], sent, strict=True):
        meta = client.get(f"/api/v1/documents/{doc_id}", headers=team.h(team.observer))
        assert meta.status_code == 200
        meta = meta.get_json()
        assert meta["group_id"] == team.group
        assert meta["tlp"] == "TLP:AMBER+STRICT"
        assert sorted(meta["releasable_to"]) == ["BE", "FR", "TN"]
        assert meta["filename"] == name and meta["size"] == len(content)
        download = client.get(
            f"/api/v1/documents/{doc_id}/content", headers=team.h(team.coordinator)
        )
        assert download.status_code == 200 and download.data == content
        # Someone outside the group learns nothing, not even that the document exists.
        for url in (f"/api/v1/documents/{doc_id}", f"/api/v1/documents/{doc_id}/content"):
            assert client.get(url, headers=team.h(team.outsider)).status_code == 404

    # In the group's document space, and under the post in the thread.
    listing = client.get(f"/api/v1/groups/{team.group}/documents", headers=team.h(team.member))
    assert {d["id"] for d in listing.get_json()} >= set(created["attachments"])
    post = _post(client, team, tid, created["id"], team.observer)
    assert [a["id"] for a in post["attachments"]] == created["attachments"]
    assert [a["filename"] for a in post["attachments"]] == ["protocol.txt", "Überblick 2024.csv"]
    assert post["attachments"][0]["tlp"] == "TLP:AMBER+STRICT"


def test_red_thread_attachment_reaches_only_its_recipients(client, team):
    tid = new_thread(
        client, team, tlp="TLP:RED", recipients=[team.coordinator.id], body="For two people."
    )
    answer = _attach(client, team, tid, [("names.txt", b"the source's name")])
    assert answer.status_code == 201, answer.get_json()
    doc_id = answer.get_json()["attachments"][0]
    meta = client.get(f"/api/v1/documents/{doc_id}", headers=team.h(team.coordinator)).get_json()
    assert meta["tlp"] == "TLP:RED"
    assert sorted(meta["recipients"]) == sorted([team.member.id, team.coordinator.id])
    # A member of the group who is not a named recipient: neither thread nor file exists.
    for url in (f"/api/v1/documents/{doc_id}/content", f"/api/v1/threads/{tid}"):
        assert client.get(url, headers=team.h(team.observer)).status_code == 404


def test_attaching_through_the_pages(client, team, login):
    login(client, team.member)
    page = client.get(f"/groups/{team.group}/discussions/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    created = client.post(
        f"/groups/{team.group}/discussions/new",
        data={
            "csrf_token": csrf_from(page),
            "title": "Risk assessment tools",
            "body": "Our checklist is attached.",
            "tlp": "TLP:GREEN",
            "file": (io.BytesIO(b"checklist v3"), "checklist.txt"),
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    thread_url = created.headers["Location"]
    tid = int(thread_url.rstrip("/").rsplit("/", 1)[-1])

    reply_page = client.get(thread_url).get_data(as_text=True)
    replied = client.post(
        f"/threads/{tid}/posts",
        data={
            "csrf_token": csrf_from(reply_page),
            "body": "And the older version.",
            "file": [(io.BytesIO(b"checklist v2"), "checklist-old.txt")],
        },
        content_type="multipart/form-data",
    )
    assert replied.status_code == 302, replied.get_data(as_text=True)[:500]

    html = client.get(thread_url).get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/documents/(\d+)"', html)]
    assert len(ids) == 2 and "checklist.txt" in html and "checklist-old.txt" in html
    assert "Deleting the post keeps them" in html  # said before anyone deletes
    for doc_id, content in zip(ids, (b"checklist v3", b"checklist v2"), strict=True):
        document = client.get(f"/documents/{doc_id}").get_data(as_text=True)
        assert "TLP:GREEN" in document
        assert client.get(f"/documents/{doc_id}/content").data == content


def test_a_form_without_its_csrf_token_stores_nothing(client, team, login, app_config):
    tid = new_thread(client, team)
    login(client, team.member)
    blobs_before = _blob_count(app_config)
    refused = client.post(
        f"/threads/{tid}/posts",
        data={"body": "forged", "file": (io.BytesIO(b"forged file"), "forged.txt")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    listing = client.get(f"/api/v1/groups/{team.group}/documents", headers=team.h(team.member))
    assert listing.get_json() == []
    assert _blob_count(app_config) == blobs_before


def _blob_count(app_config) -> int:
    from pathlib import Path

    root = Path(app_config["EMISA_DATA_DIR"])
    return sum(1 for p in root.rglob("*") if p.is_file() and "blob" in str(p))


def test_too_many_files_are_refused_and_nothing_is_kept(client, team, app_config):
    from emisa.discussions.attachments import MAX_ATTACHMENTS

    tid = new_thread(client, team)
    blobs_before = _blob_count(app_config)
    files = [(f"f{n}.txt", b"x") for n in range(MAX_ATTACHMENTS + 1)]
    refused = _attach(client, team, tid, files)
    assert refused.status_code == 400
    assert str(MAX_ATTACHMENTS) in refused.get_json()["error"]["message"]
    listing = client.get(f"/api/v1/groups/{team.group}/documents", headers=team.h(team.member))
    assert listing.get_json() == []
    thread = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()
    assert len(thread["posts"]) == 1
    assert _blob_count(app_config) == blobs_before


def test_observers_cannot_attach_and_locked_threads_take_no_files(client, team):
    tid = new_thread(client, team)
    assert _attach(client, team, tid, [("a.txt", b"a")], by=team.observer).status_code == 403
    client.patch(f"/api/v1/threads/{tid}", json={"locked": True}, headers=team.h(team.coordinator))
    assert _attach(client, team, tid, [("a.txt", b"a")]).status_code == 409
    listing = client.get(f"/api/v1/groups/{team.group}/documents", headers=team.h(team.member))
    assert listing.get_json() == []


def test_deleting_the_post_keeps_the_document(client, team, login):
    tid = new_thread(client, team)
    created = _attach(client, team, tid, [("keep.txt", b"kept")]).get_json()
    doc_id = created["attachments"][0]
    deleted = client.delete(f"/api/v1/posts/{created['id']}", headers=team.h(team.member))
    assert deleted.status_code == 204
    assert _post(client, team, tid, created["id"], team.member)["attachments"] == []
    kept = client.get(f"/api/v1/documents/{doc_id}/content", headers=team.h(team.observer))
    assert kept.status_code == 200 and kept.data == b"kept"

    # The page says so when a post with files is deleted.
    second = _attach(client, team, tid, [("keep2.txt", b"kept too")]).get_json()
    login(client, team.member)
    done = post_form(
        client, f"/posts/{second['id']}/delete", {}, page=f"/threads/{tid}", follow_redirects=True
    )
    assert "stay in the group&#39;s documents" in done.get_data(as_text=True)


def test_a_reader_who_may_not_read_the_document_does_not_see_the_link(
    client, team, app, make_user, make_group
):
    """A moved thread: its readers in the new group may not read the old group's documents."""
    tid = new_thread(client, team, tlp="TLP:AMBER")
    doc_id = _attach(client, team, tid, [("stays.txt", b"in the first group")]).get_json()[
        "attachments"
    ][0]
    other = make_group("Cyber capacities test")
    newcomer = make_user(name="Newcomer Nina", country="FR")
    add_members(app, other, [(team.coordinator, "coordinator"), (newcomer, "member")])
    with app.app_context():
        from emisa.accounts.models import User
        from emisa.database import commit
        from emisa.discussions import operations as ops
        from emisa.discussions.models import Thread
        from emisa.extensions import db
        from emisa.groups.models import WorkingGroup

        ops.move_thread(
            db.session.get(Thread, tid),
            db.session.get(WorkingGroup, other),
            db.session.get(User, team.coordinator.id),
        )
        commit()
    token = {"Authorization": f"Bearer {api_token(app, newcomer)}"}
    thread = client.get(f"/api/v1/threads/{tid}", headers=token)
    assert thread.status_code == 200
    assert all(p["attachments"] == [] for p in thread.get_json()["posts"])
    assert client.get(f"/api/v1/documents/{doc_id}", headers=token).status_code == 404
    # Members of the document's group still see it under the post.
    post = _post(client, team, tid, thread.get_json()["posts"][1]["id"], team.coordinator)
    assert [a["id"] for a in post["attachments"]] == [doc_id]


def test_canary_in_an_attachment_is_nowhere_at_rest(client, team, app, app_config):
    tid = new_thread(client, team)
    answer = _attach(client, team, tid, [("canary.bin", BIG)])
    assert answer.status_code == 201
    doc_id = answer.get_json()["attachments"][0]
    assert (
        client.get(f"/api/v1/documents/{doc_id}/content", headers=team.h(team.member)).data == BIG
    )
    for where, data in at_rest(app, app_config):
        assert CANARY not in data, f"the attachment's plaintext is in {where}"


def test_openapi_documents_multipart_posts(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/threads/{tid}/posts"]["post"]
    content = operation["requestBody"]["content"]
    assert "application/json" in content
    assert "file" in content["multipart/form-data"]["schema"]["properties"]
