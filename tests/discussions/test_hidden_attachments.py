"""Files attached to a post a coordinator hid are read like the post: author and coordinators."""

from __future__ import annotations

import io

from tests.discussions.support import new_thread
from tests.support.web import post_form

WORD = "hiddenquetzal"


def _attach(client, team, thread_id: int) -> tuple[int, int]:
    answer = client.post(
        f"/api/v1/threads/{thread_id}/posts",
        data={"body": "Here it is.", "file": [(io.BytesIO(b"leaked plan"), f"{WORD}.txt")]},
        content_type="multipart/form-data",
        headers=team.h(team.member),
    )
    assert answer.status_code == 201, answer.get_json()
    created = answer.get_json()
    return created["id"], created["attachments"][0]


def _ways_in(client, team, login, persona, document_id: int) -> dict[str, bool]:
    """Every way ``persona`` could reach the file: True where it is shown."""
    pages = client.application.test_client()
    login(pages, persona)
    api = team.h(persona)
    listing = client.get(f"/api/v1/groups/{team.group}/documents", headers=api).get_json()
    search = client.get(f"/api/v1/search?q={WORD}", headers=api).get_json()
    return {
        "metadata": client.get(f"/api/v1/documents/{document_id}", headers=api).status_code == 200,
        "content": client.get(f"/api/v1/documents/{document_id}/content", headers=api).status_code
        == 200,
        "page": pages.get(f"/documents/{document_id}").status_code == 200,
        "download": pages.get(f"/documents/{document_id}/download").status_code == 200,
        "list": any(d["id"] == document_id for d in listing),
        "list page": WORD in pages.get(f"/groups/{team.group}/documents").get_data(as_text=True),
        "search": any(hit["url"] == f"/documents/{document_id}" for hit in search),
    }


def test_files_of_a_hidden_post_are_for_its_author_and_coordinators(client, team, login):
    thread_id = new_thread(client, team, by=team.coordinator)
    post_id, document_id = _attach(client, team, thread_id)
    everywhere = dict.fromkeys(
        ("metadata", "content", "page", "download", "list", "list page", "search"), True
    )
    assert _ways_in(client, team, login, team.observer, document_id) == everywhere

    hidden = client.post(
        f"/api/v1/posts/{post_id}/hide",
        json={"reason": "Shared outside the rules"},
        headers=team.h(team.coordinator),
    )
    assert hidden.status_code == 200

    nowhere = dict.fromkeys(everywhere, False)
    assert _ways_in(client, team, login, team.observer, document_id) == nowhere
    assert _ways_in(client, team, login, team.member, document_id) == everywhere  # the author
    assert _ways_in(client, team, login, team.coordinator, document_id) == everywhere

    # Shown again once the coordinator un-hides the post.
    coordinator = client.application.test_client()
    login(coordinator, team.coordinator)
    shown = post_form(coordinator, f"/posts/{post_id}/unhide", {}, page=f"/threads/{thread_id}")
    assert shown.status_code == 302
    assert _ways_in(client, team, login, team.observer, document_id) == everywhere
