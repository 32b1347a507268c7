"""The group's document list page, 50 documents a page, with the filters kept across pages."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import bearer

_TITLE = re.compile(r'<a href="[^"]*/documents/\d+"[^>]*>([^<]*)</a>')
_NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
_PREV = re.compile(r'<a href="([^"]+)" rel="prev">')


def _titles(page: str) -> list[str]:
    return [html.unescape(t) for t in _TITLE.findall(page)]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _link(pattern: re.Pattern, page: str) -> str | None:
    match = pattern.search(page)
    return html.unescape(match.group(1)) if match else None


@pytest.fixture
def listed(team, upload):
    """120 small documents in the team's group: "Doc 001" … "Doc 120", every other one
    AMBER+STRICT (the even numbers), uploaded in number order. Returns the titles."""
    titles = []
    for n in range(1, 121):
        title = f"Doc {n:03d}"
        tlp = "TLP:AMBER+STRICT" if n % 2 == 0 else "TLP:AMBER"
        response = upload(
            team.member_token, team.group, b"x", filename="a.txt", title=title, tlp=tlp
        )
        assert response.status_code == 201, response.get_data(as_text=True)[:300]
        titles.append(title)
    return titles


def test_pages_of_fifty_in_the_list_order(team, listed, client, login):
    login(client, team.member)
    base = f"/groups/{team.group}/documents"
    first = client.get(f"{base}?sort=oldest")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert _titles(page) == listed[:50]
    assert "Page 1 of 3" in page and "120 of 120" in page
    assert _link(_PREV, page) is None

    second_url = _link(_NEXT, page)
    assert "sort=oldest" in second_url and "page=2" in second_url
    second = client.get(second_url).get_data(as_text=True)
    assert _titles(second) == listed[50:100]
    assert "Page 2 of 3" in second

    third = client.get(_link(_NEXT, second)).get_data(as_text=True)
    assert _titles(third) == listed[100:]
    assert len(_titles(third)) == 20
    assert "Page 3 of 3" in third and _link(_NEXT, third) is None
    assert _titles(client.get(_link(_PREV, third)).get_data(as_text=True)) == listed[50:100]

    assert client.get(f"{base}?sort=oldest&page=4").status_code == 404
    assert client.get(f"{base}?page=4").status_code == 404


def test_default_order_is_unchanged_and_split_without_gaps(team, listed, client, login):
    login(client, team.member)
    base = f"/groups/{team.group}/documents"
    pages = [_titles(client.get(f"{base}?page={n}").get_data(as_text=True)) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [50, 50, 20]
    # Newest first, as before pagination: the last upload leads, the first one closes.
    assert pages[0] + pages[1] + pages[2] == listed[::-1]
    assert _titles(client.get(base).get_data(as_text=True)) == pages[0]


def test_filter_applies_before_paging_and_the_pager_keeps_it(team, listed, client, login):
    login(client, team.member)
    strict = [t for n, t in enumerate(listed, start=1) if n % 2 == 0]
    assert len(strict) == 60
    # "+" and ":" must survive the round trip through the pager's links.
    page = client.get(
        f"/groups/{team.group}/documents",
        query_string={"tlp": "TLP:AMBER+STRICT", "sort": "oldest"},
    ).get_data(as_text=True)
    assert _titles(page) == strict[:50]
    assert "Page 1 of 2" in page and "60 of 120" in page
    next_url = _link(_NEXT, page)
    assert "%2B" in next_url  # a bare "+" would read back as a space
    assert _query(next_url) == {"tlp": ["TLP:AMBER+STRICT"], "sort": ["oldest"], "page": ["2"]}
    second = client.get(next_url)
    assert second.status_code == 200
    text = second.get_data(as_text=True)
    assert _titles(text) == strict[50:]
    assert "Page 2 of 2" in text
    prev_url = _link(_PREV, text)
    assert _query(prev_url) == {"tlp": ["TLP:AMBER+STRICT"], "sort": ["oldest"], "page": ["1"]}
    assert _titles(client.get(prev_url).get_data(as_text=True)) == strict[:50]
    assert (
        client.get(
            f"/groups/{team.group}/documents",
            query_string={"tlp": "TLP:AMBER+STRICT", "page": 3},
        ).status_code
        == 404
    )


def test_a_non_member_is_refused_alike_on_every_page(team, listed, make_user, client, login):
    """Access is checked before any paging: page 4 (past the end) says the same as page 1."""
    outsider = make_user("outsider@agency.example", country="DE")
    login(client, outsider)
    for n in (1, 2, 3, 4):
        response = client.get(f"/groups/{team.group}/documents?page={n}")
        assert response.status_code == 403, n
        assert "Doc 0" not in response.get_data(as_text=True)


def test_a_group_hidden_from_the_reader_is_404_on_every_page(
    team, upload, make_user, make_group, client, login
):
    hidden = make_group(countries=["BE", "FR"], members={team.member: "member"})
    upload(team.member_token, hidden, b"x", filename="a.txt", title="Hidden")
    outsider = make_user("outsider@agency.example", country="DE")
    login(client, outsider)
    for n in (1, 2, 3):
        assert client.get(f"/groups/{hidden}/documents?page={n}").status_code == 404, n


def test_an_empty_group_shows_its_first_page_and_no_second(team, client, login):
    login(client, team.member)
    page = client.get(f"/groups/{team.group}/documents")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "No documents." in text and 'class="pager"' not in text
    assert client.get(f"/groups/{team.group}/documents?page=1").status_code == 200
    assert client.get(f"/groups/{team.group}/documents?page=2").status_code == 404


def test_a_malformed_page_number_is_refused_with_a_clear_message(team, upload, client, login):
    """As everywhere page_number() is used (discussions, notifications, audit)."""
    for n in range(1, 4):
        upload(team.member_token, team.group, b"x", filename="a.txt", title=f"Small {n}")
    login(client, team.member)
    first = _titles(client.get(f"/groups/{team.group}/documents").get_data(as_text=True))
    assert len(first) == 3
    empty = client.get(f"/groups/{team.group}/documents", query_string={"page": ""})
    assert empty.status_code == 200 and _titles(empty.get_data(as_text=True)) == first
    for raw in ("abc", "0", "-1", "1.5", "²", "1e3"):
        response = client.get(f"/groups/{team.group}/documents", query_string={"page": raw})
        assert response.status_code == 400, raw
        assert "The page number must be a whole number from 1 to 1,000,000." in response.get_data(
            as_text=True
        )


def test_the_api_list_is_paged_like_the_page(team, listed, client):
    response = client.get(
        f"/api/v1/groups/{team.group}/documents?page=2&per_page=50",
        headers=bearer(team.member_token),
    )
    assert response.status_code == 200
    rows = response.get_json()
    assert isinstance(rows, list)
    assert [row["title"] for row in rows] == listed[::-1][50:100]
    assert response.headers["X-Total-Count"] == "120"
