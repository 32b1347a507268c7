"""Every list, API and page, walked page by page as a member who may not see every item.

The pages together hold exactly the items the reader may see, in the list's order, each
once; the items hidden from them are on no page, and the totals (``X-Total-Count``, the
pages' counts and pagers) count only what they may see. The API answers a JSON array with
``Link`` and ``X-Total-Count``; a malformed or out-of-range ``per_page`` or ``page`` is a
400 in the error format.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from tests.lists.conftest import WORD

ITEMS = 17  # ten threads the reader may see: five pages of two

API_LISTS = {
    # name: (path, kind of the ids it lists)
    "threads": ("/api/v1/groups/{g}/threads", "thread"),
    "documents": ("/api/v1/groups/{g}/documents", "document"),
    "meetings": ("/api/v1/groups/{g}/meetings", "meeting"),
    "library": ("/api/v1/library", "library"),
    "search, one group": (f"/api/v1/search?q={WORD}&group_id={{g}}", "search"),
    "search, every group": (f"/api/v1/search?q={WORD}", "search"),
}


def _expected(crowd, kind: str) -> list:
    if kind != "search":
        return crowd.expected(kind)
    # Hits of every kind, newest first: documents were made after the thread of the same
    # number, so they lead; meetings are not searched.
    pairs = zip(crowd.expected("document"), crowd.expected("thread"), strict=True)
    return [
        hit for document, thread in pairs for hit in (("document", document), ("thread", thread))
    ]


def _ids(kind: str, rows: list[dict]) -> list:
    if kind == "search":
        return [(row["kind"], row["id"]) for row in rows]
    return [row["id"] for row in rows]


def _links(response) -> dict[str, str]:
    found = re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", ""))
    return {rel: url for url, rel in found}


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_api_list_pages_hold_exactly_what_the_reader_may_see(crowd, client, name):
    crowd.fill(ITEMS)
    path, kind = API_LISTS[name]
    expected = _expected(crowd, kind)
    assert 2 < len(expected) < (2 if kind == "search" else 1) * ITEMS  # some are hidden
    url = path.format(g=crowd.group) + ("&" if "?" in path else "?") + "per_page=2"
    seen, pages = [], 0
    while url:
        response = client.get(url, headers=crowd.headers)
        assert response.status_code == 200, response.get_json()
        rows = response.get_json()
        assert isinstance(rows, list) and len(rows) == min(2, len(expected) - len(seen))
        assert response.headers["X-Total-Count"] == str(len(expected))
        links = _links(response)
        assert ("prev" in links) == (pages > 0)
        seen.extend(_ids(kind, rows))
        pages += 1
        url = _local(links["next"]) if "next" in links else None
    assert seen == expected
    assert pages == -(-len(expected) // 2)
    hidden = {(k, i) for k in ("thread", "document") for i in crowd.hidden[k]}
    hidden |= set(crowd.hidden.get(kind, ()))
    assert not hidden & set(seen)

    past_the_end = client.get(
        path.format(g=crowd.group) + ("&" if "?" in path else "?") + f"per_page=2&page={pages + 1}",
        headers=crowd.headers,
    )
    assert past_the_end.status_code == 200 and past_the_end.get_json() == []
    assert past_the_end.headers["X-Total-Count"] == str(len(expected))


@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_api_list_refuses_a_bad_page_size_or_number(crowd, client, name):
    path, _kind = API_LISTS[name]
    base = path.format(g=crowd.group) + ("&" if "?" in path else "?")
    for query in ("per_page=0", "per_page=501", "per_page=abc", "per_page=-1", "per_page=2.5"):
        response = client.get(base + query, headers=crowd.headers)
        assert response.status_code == 400, query
        error = response.get_json()["error"]
        assert "per_page must be a whole number from 1 to 500" in error["message"], query
    for query in ("page=0", "page=x", "page=1e3"):
        response = client.get(base + query, headers=crowd.headers)
        assert response.status_code == 400, query
        assert "page number" in response.get_json()["error"]["message"]
    assert client.get(base + "per_page=500", headers=crowd.headers).status_code == 200


def test_api_list_default_page_is_a_hundred(crowd, client, app):
    crowd.fill(1)
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.discussions import operations as ops
    from emisa.extensions import db
    from emisa.groups.models import WorkingGroup

    with app.app_context():
        group = db.session.get(WorkingGroup, crowd.group)
        author = db.session.get(User, crowd.reader.id)
        for n in range(120):
            ops.create_thread(group, author, f"Bulk {n}", "Body", "TLP:AMBER")
        commit()
    response = client.get(f"/api/v1/groups/{crowd.group}/threads", headers=crowd.headers)
    assert len(response.get_json()) == 100
    assert response.headers["X-Total-Count"] == str(120 + len(crowd.visible["thread"]))


GROUP_LISTS = ("/api/v1/groups", "/api/v1/groups/{g}/members")


@pytest.mark.parametrize("path", GROUP_LISTS)
def test_group_lists_are_paged(crowd, client, make_group, path):
    for _ in range(5):
        make_group(members={crowd.reader: "member"})
    french = make_group(countries=["FR"])  # not for the reader's country: no page, no total
    url = path.format(g=crowd.group) + "?per_page=2"
    seen = []
    total = None
    while url:
        response = client.get(url, headers=crowd.headers)
        assert response.status_code == 200
        total = int(response.headers["X-Total-Count"])
        seen.extend(row.get("id") or row.get("user", {}).get("id") for row in response.get_json())
        links = _links(response)
        url = _local(links["next"]) if "next" in links else None
    assert len(seen) == total == len(set(seen))
    assert french not in seen


PAGES = {
    # name: (path, items to make, per page, kind of the ids it links to, link pattern)
    "thread list": ("/groups/{g}/discussions", 60, 30, "thread", r'href="/threads/(\d+)"'),
    "document list": ("/groups/{g}/documents", 90, 50, "document", r'href="/documents/(\d+)"'),
    "library": ("/best-practice", 30, 50, "library", r'href="/documents/(\d+)"'),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_hold_exactly_what_the_reader_may_see(crowd, client, login, name):
    path, items, per_page, kind, pattern = PAGES[name]
    crowd.fill(items)
    login(client, crowd.reader)
    expected = crowd.expected(kind)
    pages = -(-len(expected) // per_page)
    seen = []
    for page in range(1, pages + 1):
        response = client.get(path.format(g=crowd.group) + f"?page={page}")
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert pages == 1 or f"Page {page} of {pages}" in text
        seen.extend(int(i) for i in dict.fromkeys(re.findall(pattern, text)))
    assert seen == expected
    assert client.get(path.format(g=crowd.group) + f"?page={pages + 1}").status_code == 404
    hidden = set(crowd.hidden.get(kind, crowd.hidden["document"]))
    assert hidden and not hidden & set(seen)


def test_search_page_holds_exactly_what_the_reader_may_see(crowd, client, login):
    crowd.fill(45)
    login(client, crowd.reader)
    expected = _expected(crowd, "search")
    assert 50 < len(expected) <= 100
    seen = []
    for page in (1, 2):
        text = client.get(f"/search?q={WORD}&page={page}").get_data(as_text=True)
        assert f"{len(expected)} results" in text and f"Page {page} of 2" in text
        seen.extend(
            (kind.rstrip("s"), int(i))
            for kind, i in re.findall(r'href="/(threads|documents)/(\d+)"', html.unescape(text))
        )
    assert seen == expected


def _meeting_links(text: str) -> tuple[list[int], list[int]]:
    """The meeting ids of the page's upcoming list and of its past list, in order."""
    upcoming, past = text.split("<h2>Past</h2>", 1)
    past = past.split('class="calendar"', 1)[0]
    return [
        [int(i) for i in dict.fromkeys(re.findall(r'href="/meetings/(\d+)"', part))]
        for part in (upcoming, past)
    ]


def test_meetings_page_lists_are_paged_and_hold_exactly_what_the_reader_may_see(
    crowd, client, login, app
):
    """Upcoming (soonest first) and past (latest first) each page on their own, keep the
    other list's page, hold every meeting the reader may see once and none they may not."""
    from datetime import timedelta

    import sqlalchemy as sa

    from emisa.database import commit
    from emisa.extensions import db
    from emisa.meetings.models import Meeting

    crowd.fill(90)
    # Every other meeting, seen or hidden, took place a year ago.
    moved = {*crowd.visible["meeting"][::2], *crowd.hidden["meeting"][::2]}
    with app.app_context():
        for meeting in db.session.scalars(sa.select(Meeting).where(Meeting.id.in_(moved))):
            meeting.starts_at -= timedelta(days=365)
            meeting.ends_at -= timedelta(days=365)
        commit()
    visible = crowd.visible["meeting"]  # by start time within each list
    expected_upcoming = [i for i in visible if i not in moved]
    expected_past = [i for i in visible if i in moved][::-1]
    login(client, crowd.reader)
    base = f"/groups/{crowd.group}/meetings?month=2001-01"  # an empty calendar month
    seen = {"upcoming": [], "past": []}
    for arg, name, expected in (
        ("page", "upcoming", expected_upcoming),
        ("past_page", "past", expected_past),
    ):
        pages = -(-len(expected) // 20)
        assert pages == 2
        for number in range(1, pages + 1):
            response = client.get(f"{base}&{arg}={number}")
            assert response.status_code == 200
            text = html.unescape(response.get_data(as_text=True))
            assert f"Page {number} of {pages}" in text
            upcoming, past = _meeting_links(text)
            seen[name].extend(upcoming if name == "upcoming" else past)
            # The other list stays on its first page, and its pager keeps this one's page.
            other = past if name == "upcoming" else upcoming
            assert len(other) == 20
            other_arg = "past_page" if arg == "page" else "page"
            if number < pages:
                assert f"{arg}={number + 1}" in text
            assert f"{other_arg}=2" in text
        assert client.get(f"{base}&{arg}={pages + 1}").status_code == 404
        assert client.get(f"{base}&{arg}=0").status_code == 400
    assert seen == {"upcoming": expected_upcoming, "past": expected_past}
    assert not set(crowd.hidden["meeting"]) & {*seen["upcoming"], *seen["past"]}


def test_meetings_calendar_shows_the_month_and_says_when_it_holds_more(
    crowd, client, login, app, monkeypatch
):
    import emisa.meetings.views as views
    from emisa.extensions import db
    from emisa.meetings.models import Meeting

    crowd.fill(12)
    with app.app_context():
        first = db.session.get(Meeting, crowd.visible["meeting"][0]).starts_at
    month = f"?month={first:%Y-%m}"
    login(client, crowd.reader)
    text = html.unescape(client.get(f"/groups/{crowd.group}/meetings{month}").get_data(True))
    calendar = text.split('class="calendar"', 1)[1]
    shown = {int(i) for i in re.findall(r'href="/meetings/(\d+)"', calendar)}
    in_month = set(crowd.visible["meeting"])
    with app.app_context():
        in_month = {
            i for i in in_month if f"{db.session.get(Meeting, i).starts_at:%Y-%m}" == month[7:]
        }
    assert shown == in_month and not shown & set(crowd.hidden["meeting"])
    assert "more meetings than the calendar shows" not in text
    monkeypatch.setattr(views, "CALENDAR_MAX", 2)
    text = client.get(f"/groups/{crowd.group}/meetings{month}").get_data(True)
    calendar = text.split('class="calendar"', 1)[1]
    assert len(set(re.findall(r'href="/meetings/(\d+)"', calendar))) == 2
    assert "more meetings than the calendar shows" in text
