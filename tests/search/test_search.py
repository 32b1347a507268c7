"""Blind-index search: finds what a reader may read, nothing else, and stores no plaintext."""

from __future__ import annotations

from pathlib import Path

from tests.discussions.support import add_members, new_thread, reply


def _search(client, team, persona, q, group=None):
    params = {"q": q} | ({"group_id": group} if group else {})
    response = client.get("/api/v1/search", query_string=params, headers=team.h(persona))
    assert response.status_code == 200, response.get_json()
    return {(hit["kind"], hit["id"]) for hit in response.get_json()}


def test_finds_a_word_in_a_post_case_and_accent_insensitively(client, team):
    tid = new_thread(client, team, title="Réinsertion des détenus")
    pid = reply(client, team, tid, "Le programme de DÉSENGAGEMENT marche bien.").get_json()["id"]
    assert ("post", pid) in _search(client, team, team.observer, "désengagement")
    assert ("post", pid) in _search(client, team, team.observer, "Desengagement programme")
    assert ("thread", tid) in _search(client, team, team.observer, "reinsertion DETENUS")
    assert _search(client, team, team.observer, "desengagement absent") == set()
    hit = client.get(
        "/api/v1/search", query_string={"q": "desengagement"}, headers=team.h(team.member)
    ).get_json()[0]
    assert hit["title"] == "Réinsertion des détenus" and "DÉSENGAGEMENT" in hit["excerpt"]


def test_arabic_words_match_with_or_without_diacritics(client, team):
    pid_thread = new_thread(
        client, team, title="تأهيل السجناء", body="برنامج إعادة الإدماج في المدرسةُ"
    )
    posts = client.get(f"/api/v1/threads/{pid_thread}", headers=team.h(team.member)).get_json()
    pid = posts["posts"][0]["id"]
    assert ("post", pid) in _search(client, team, team.member, "اعاده")
    assert ("post", pid) in _search(client, team, team.member, "المدرسة")
    assert ("thread", pid_thread) in _search(client, team, team.member, "تاهيل")


def test_not_found_for_a_user_who_may_not_read_it(client, team, app, make_user, make_group):
    tid = new_thread(
        client,
        team,
        title="Named recipients only",
        tlp="TLP:RED",
        recipients=[team.coordinator.id],
        body="The codeword is zanzibar.",
    )
    amber = new_thread(client, team, title="Members only", body="Another zanzibar mention.")
    assert len(_search(client, team, team.coordinator, "zanzibar")) == 2
    assert {k for k, _ in _search(client, team, team.observer, "zanzibar")} == {"post"}
    assert _search(client, team, team.outsider, "zanzibar") == set()
    # The outsider in a group of their own: tokens there are keyed differently, and the
    # query over "their groups" never reaches this group's index.
    other = make_group("Another group")
    add_members(app, other, [(team.outsider, "coordinator")])
    assert _search(client, team, team.outsider, "zanzibar") == set()
    refused = client.get(
        "/api/v1/search",
        query_string={"q": "zanzibar", "group_id": team.group},
        headers=team.h(team.outsider),
    )
    assert refused.status_code in (403, 404)
    # Hidden posts: only their author and coordinators find them.
    pid = client.get(f"/api/v1/threads/{amber}", headers=team.h(team.member)).get_json()["posts"][
        0
    ]["id"]
    client.post(
        f"/api/v1/posts/{pid}/hide",
        json={"reason": "Needs review"},
        headers=team.h(team.coordinator),
    )
    assert ("post", pid) not in _search(client, team, team.observer, "zanzibar")
    assert ("post", pid) in _search(client, team, team.member, "zanzibar")
    # Deleted posts are gone from the index.
    client.delete(f"/api/v1/posts/{pid}", headers=team.h(team.member))
    assert ("post", pid) not in _search(client, team, team.coordinator, "zanzibar")
    assert tid


def test_search_page_in_a_group(client, team, login):
    new_thread(client, team, title="Probation screening", body="Use the VERA-2R tool.")
    login(client, team.observer)
    page = client.get(f"/search?q=vera&group={team.group}").get_data(as_text=True)
    assert "Probation screening" in page and "<mark>VERA</mark>-2R" in page
    assert "Nothing found" in client.get("/search?q=nothingatall").get_data(as_text=True)


CANARY_TITLE = "CANARYTITLEq7x9"
CANARY_BODY = "CANARYBODYz3k8"


def _database_dump(app) -> bytes:
    from emisa.extensions import db

    chunks = []
    with app.app_context(), db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    chunks.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(chunks)


def test_canary_in_title_and_body_is_nowhere_at_rest(client, team, app, app_config):
    tid = new_thread(
        client, team, title=f"Report {CANARY_TITLE}", body=f"Details {CANARY_BODY} and **more**"
    )
    pid = reply(client, team, tid, f"Re: {CANARY_BODY}").get_json()["id"]
    client.patch(
        f"/api/v1/posts/{pid}", json={"body": f"Edited {CANARY_BODY}"}, headers=team.h(team.member)
    )
    client.post(
        f"/api/v1/posts/{pid}/hide",
        json={"reason": f"Reason {CANARY_BODY}"},
        headers=team.h(team.coordinator),
    )
    client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member))
    assert ("post", pid) in _search(client, team, team.coordinator, CANARY_BODY)

    needles = [c.encode() for c in (CANARY_TITLE, CANARY_BODY)]
    needles += [n.lower() for n in needles]
    dump = _database_dump(app)
    for needle in needles:
        assert needle not in dump
    roots = [Path(app_config["EMISA_DATA_DIR"])]
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        roots.append(Path(url.removeprefix("sqlite:///")).parent)
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                for needle in needles:
                    assert needle not in content, f"{needle!r} found in {path}"
