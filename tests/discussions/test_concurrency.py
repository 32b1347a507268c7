"""Eight writers posting at once into one thread, through the real server (gunicorn, threads)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.discussions.support import add_members, api_token, new_thread

WRITERS = 8
POSTS_EACH = 25


def test_concurrent_writers_store_every_post(app, client, team, make_user, live_server):
    writers = [make_user(name=f"Writer {n}") for n in range(WRITERS)]
    add_members(app, team.group, [(w, "member") for w in writers])
    tokens = [api_token(app, w) for w in writers]
    tid = new_thread(client, team, title="Busy thread", body="Start")

    def write(token: str) -> list[int]:
        statuses = []
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {token}"
            for n in range(POSTS_EACH):
                response = session.post(
                    f"{live_server}/api/v1/threads/{tid}/posts",
                    json={"body": f"post {n} from a writer"},
                    timeout=60,
                )
                statuses.append(response.status_code)
        return statuses

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(write, tokens))
    assert [s for statuses in results for s in statuses] == [201] * (WRITERS * POSTS_EACH)

    thread = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()
    assert len(thread["posts"]) == WRITERS * POSTS_EACH + 1
    assert len({p["id"] for p in thread["posts"]}) == WRITERS * POSTS_EACH + 1
    listing = client.get(f"/api/v1/groups/{team.group}/threads", headers=team.h(team.member))
    assert listing.get_json()[0]["post_count"] == WRITERS * POSTS_EACH + 1
