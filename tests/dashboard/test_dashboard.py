"""The dashboard: each list filtered by the policy (every marking), bounded, a constant number
of queries, empty states that say what to do, unread counts on group cards."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import bearer


@pytest.fixture
def world(app, make_user, make_group, token_for, client):
    """One group: a coordinator, a member named on RED items, another member, a partner.

    It holds an AMBER and a RED thread, a GREEN and a RED document, an AMBER meeting."""
    from emisa.timeutil import utcnow

    coordinator = make_user(name="Coordinator Colette", country="BE")
    named = make_user(name="Named Nour", country="TN")
    other = make_user(name="Other Oskar", country="SE")
    partner = make_user(name="Partner Paula", country="KE", kind="partner")
    group = make_group(
        "Cyber capacities test",
        members={coordinator: "coordinator", named: "member", other: "member", partner: "member"},
    )
    token = token_for(coordinator)

    def thread(title, tlp, **extra):
        response = client.post(
            f"/api/v1/groups/{group}/threads",
            json={"title": title, "body": "Opening post", "tlp": tlp, **extra},
            headers=bearer(token),
        )
        assert response.status_code == 201, response.get_json()

    def document(title, tlp, **extra):
        response = client.post(
            f"/api/v1/groups/{group}/documents",
            data={"title": title, "tlp": tlp, "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf"), **extra},
            headers=bearer(token),
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_json()

    thread("AMBER-THREAD", "TLP:AMBER")
    thread("RED-THREAD", "TLP:RED", recipients=[named.id])
    thread("GREEN-THREAD", "TLP:GREEN")
    document("GREEN-DOC", "TLP:GREEN")
    document("RED-DOC", "TLP:RED", recipients=str(named.id))
    start = utcnow() + timedelta(days=1)
    response = client.post(
        f"/api/v1/groups/{group}/meetings",
        json={
            "title": "AMBER-MEETING",
            "starts_at": start.isoformat() + "Z",
            "ends_at": (start + timedelta(hours=1)).isoformat() + "Z",
            "agenda": [],
            "tlp": "TLP:AMBER",
        },
        headers=bearer(token),
    )
    assert response.status_code == 201, response.get_json()

    class World:
        pass

    world = World()
    world.group, world.coordinator, world.named, world.other, world.partner = (
        group,
        coordinator,
        named,
        other,
        partner,
    )
    return world


def dashboard_of(app, login, persona) -> str:
    client = app.test_client()
    login(client, persona)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_list_respects_every_marking(app, login, world):
    named = dashboard_of(app, login, world.named)
    for title in ("AMBER-THREAD", "RED-THREAD", "GREEN-THREAD", "GREEN-DOC", "RED-DOC"):
        assert title in named
    assert "AMBER-MEETING" in named and "TLP:RED" in named
    other = dashboard_of(app, login, world.other)
    assert "AMBER-THREAD" in other and "GREEN-DOC" in other and "AMBER-MEETING" in other
    assert "RED-THREAD" not in other and "RED-DOC" not in other  # RED: its recipients only
    partner = dashboard_of(app, login, world.partner)
    assert "GREEN-THREAD" in partner and "GREEN-DOC" in partner
    for title in ("AMBER-THREAD", "AMBER-MEETING", "RED-THREAD", "RED-DOC"):
        assert title not in partner  # a partner reads GREEN and CLEAR only


def test_unread_counts_on_group_cards_and_threads(app, login, world):
    page = dashboard_of(app, login, world.other)
    # Two threads of one post each that Oskar may read: two unread posts on the card.
    assert "2 unread posts" in page
    client = app.test_client()
    login(client, world.other)
    from emisa.discussions.models import Thread
    from emisa.extensions import db

    with app.app_context():
        amber = db.session.scalar(sa.select(Thread.id).where(Thread.tlp == "TLP:AMBER"))
    client.get(f"/threads/{amber}")  # reading it marks it read
    page = client.get("/").get_data(as_text=True)
    assert "1 unread post" in page and "AMBER-THREAD" not in page.split('id="dash-documents"')[0]


def test_a_member_removed_no_longer_sees_the_groups_items(app, login, world):
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import Membership
    from emisa.groups.operations import remove_member

    assert "AMBER-MEETING" in dashboard_of(app, login, world.other)
    with app.app_context():
        membership = db.session.scalar(
            sa.select(Membership).where(Membership.user_id == world.other.id)
        )
        remove_member(membership, db.session.get(User, world.coordinator.id))
        commit()
    page = dashboard_of(app, login, world.other)
    for title in ("AMBER-THREAD", "GREEN-THREAD", "GREEN-DOC", "AMBER-MEETING"):
        assert title not in page


def test_empty_states_say_what_to_do_next(app, login, make_user):
    loner = make_user(name="Lone Lina")
    page = dashboard_of(app, login, loner)
    assert "Coordinators schedule them from a group's Meetings tab." in page
    assert "Browse the working groups and ask to join one." in page


def test_the_dashboard_runs_a_constant_number_of_queries(app, login, world):
    """Full lists cost the same whatever the groups hold: each list is one bounded query."""
    from emisa.extensions import db
    from tests.discussions.support import api_token

    client = app.test_client()
    login(client, world.named)
    token = api_token(app, world.coordinator)

    def add_content(n: int) -> None:
        for k in range(n):
            response = client.post(
                f"/api/v1/groups/{world.group}/threads",
                json={"title": f"More {k}", "body": "x", "tlp": "TLP:AMBER"},
                headers=bearer(token),
            )
            assert response.status_code == 201
            response = client.post(
                f"/api/v1/groups/{world.group}/documents",
                data={"title": f"Doc {k}", "tlp": "TLP:GREEN", "file": (io.BytesIO(b"x"), "x.txt")},
                headers=bearer(token),
                content_type="multipart/form-data",
            )
            assert response.status_code == 201

    def queries() -> tuple[int, str]:
        count = 0

        def counter(*_args, **_kwargs):
            nonlocal count
            count += 1

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            page = client.get("/")
            assert page.status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)
        return count, page.get_data(as_text=True)

    add_content(8)  # more than a list shows
    before, page = queries()
    assert page.count("More ") == 6  # bounded
    add_content(20)
    after, _page = queries()
    assert after == before


def test_documents_re_shared_to_my_group_reach_my_dashboard(
    app, login, world, make_user, make_group, token_for, client
):
    """An AMBER document re-shared into a second group is news for that group's members;
    the first group's other readers keep seeing it as before."""
    from emisa.documents.models import Document
    from emisa.extensions import db

    reader = make_user(name="Reader Rania", country="DE")
    second = make_group(
        "Prison radicalisation", members={world.coordinator: "coordinator", reader: "member"}
    )
    token = token_for(world.coordinator)
    created = client.post(
        f"/api/v1/groups/{world.group}/documents",
        data={
            "title": "AMBER-SHARED-DOC",
            "tlp": "TLP:AMBER",
            "file": (io.BytesIO(b"%PDF-1.4"), "b.pdf"),
        },
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.get_json()
    assert "AMBER-SHARED-DOC" not in dashboard_of(app, login, reader)

    shared = client.post(
        f"/api/v1/documents/{created.get_json()['id']}/shares",
        json={"group_id": second},
        headers=bearer(token),
    )
    assert shared.status_code == 201, shared.get_json()
    assert "AMBER-SHARED-DOC" in dashboard_of(app, login, reader)
    with app.app_context():
        assert db.session.get(Document, created.get_json()["id"]).group_id == world.group


def test_group_cards_count_unread_posts_of_the_latest_threads_the_reader_may_read(
    app, login, world, token_for, monkeypatch
):
    """The card counts the first threads of the reader's thread list (three here), past a
    cap (four here) says "more than"; activity in a thread hidden from the reader changes
    neither what is counted nor the count."""
    monkeypatch.setattr("emisa.dashboard.UNREAD_THREADS_COUNTED", 3)
    monkeypatch.setattr("emisa.dashboard.UNREAD_SHOWN_UP_TO", 4)
    client = app.test_client()
    headers = bearer(token_for(world.coordinator))

    def thread(title, tlp, **extra):
        response = client.post(
            f"/api/v1/groups/{world.group}/threads",
            json={"title": title, "body": "Opening post", "tlp": tlp, **extra},
            headers=headers,
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def reply(thread_id):
        response = client.post(
            f"/api/v1/threads/{thread_id}/posts", json={"body": "A reply"}, headers=headers
        )
        assert response.status_code == 201, response.get_json()

    thread("FIRST-NEW", "TLP:AMBER")
    latest = thread("SECOND-NEW", "TLP:AMBER")
    # Four threads Oskar may read of one post each: the latest three are counted.
    assert "3 unread posts" in dashboard_of(app, login, world.other)
    hidden = thread("RED-NEWS", "TLP:RED", recipients=[world.named.id])
    for _ in range(3):
        reply(hidden)
    assert "3 unread posts" in dashboard_of(app, login, world.other)
    # Nour, named on both RED threads, counts the latest three she may read: 4 + 1 + 1.
    assert "More than 4 unread posts" in dashboard_of(app, login, world.named)
    reply(latest)
    assert "4 unread posts" in dashboard_of(app, login, world.other)
    reply(latest)
    assert "More than 4 unread posts" in dashboard_of(app, login, world.other)
