"""Search past its count's cap: every hit still on exactly one page, hidden ones on none.

Hits are counted up to ``TOTAL_CAP`` (lowered here so a small group passes it); past it the
API says ``N+`` and the page "More than N results", and the pages go on while there are
hits. Only hits the reader may read are counted, so items hidden from them never push a
total past the cap. A common word costs the statements a rare one does.
"""

from __future__ import annotations

import pytest

from bench.growth import metered
from tests.lists.conftest import WORD
from tests.lists.test_paging import _expected, _links, _local

CAP = 6


@pytest.fixture
def low_cap(monkeypatch):
    monkeypatch.setattr("emisa.search.index.TOTAL_CAP", CAP)


def _walk(client, crowd, per_page: int, query: str = WORD) -> tuple[list, list[str]]:
    """Every page of the reader's search, following ``Link: next``: the hits, and each
    page's ``X-Total-Count``."""
    url = f"/api/v1/search?q={query}&per_page={per_page}"
    seen, totals = [], []
    while url:
        response = client.get(url, headers=crowd.headers)
        assert response.status_code == 200, response.get_json()
        seen.extend((row["kind"], row["id"]) for row in response.get_json())
        totals.append(response.headers["X-Total-Count"])
        url = _local(_links(response)["next"]) if "next" in _links(response) else None
    return seen, totals


@pytest.mark.parametrize("size", [10, 30])
def test_pages_past_the_cap_hold_exactly_what_the_reader_may_see(crowd, client, low_cap, size):
    crowd.fill(size)
    expected = _expected(crowd, "search")
    hidden = {(kind, i) for kind in ("thread", "document") for i in crowd.hidden[kind]}
    assert len(expected) > CAP and hidden

    seen, totals = _walk(client, crowd, per_page=4)
    assert seen == expected and not hidden & set(seen)
    # A lower bound first, counted only as deep as the page needs (never a number the
    # reader's own hits do not pass); exact once the pages reach the end.
    assert totals[0] == f"{CAP}+" and totals[-1] == str(len(expected))
    assert all(int(total.rstrip("+")) < len(expected) for total in totals[:-1])


def test_hidden_items_never_push_the_total_past_the_cap(crowd, client, login, low_cap, monkeypatch):
    """Five threads the reader may see among more than the cap: the count says five."""
    monkeypatch.setattr("emisa.search.views.PER_PAGE", 2)
    crowd.fill(8)
    visible = crowd.expected("thread")
    assert len(visible) < CAP < len(visible) + len(crowd.hidden["thread"])
    seen, totals = _walk(client, crowd, per_page=2, query="thread")
    assert seen == [("thread", i) for i in visible]
    assert set(totals) == {str(len(visible))}
    login(client, crowd.reader)
    text = client.get("/search?q=thread").get_data(as_text=True)
    assert f"{len(visible)} results" in text and "More than" not in text


def test_the_page_says_more_than_the_cap_and_pages_on(crowd, client, login, low_cap, monkeypatch):
    monkeypatch.setattr("emisa.search.views.PER_PAGE", 4)
    crowd.fill(10)
    expected = _expected(crowd, "search")
    pages = -(-len(expected) // 4)
    assert pages == 3
    login(client, crowd.reader)
    first = client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert f"More than {CAP} results" in first and "<span>Page 1</span>" in first
    assert 'rel="next"' in first
    last = client.get(f"/search?q={WORD}&page={pages}").get_data(as_text=True)
    assert f"{len(expected)} results" in last and f"Page {pages} of {pages}" in last
    assert 'rel="next"' not in last
    assert client.get(f"/search?q={WORD}&page={pages + 1}").status_code == 404


def test_a_common_word_costs_the_statements_of_a_rare_one(crowd, app, client):
    crowd.fill(40)
    costs = {}
    for word in (WORD, "38"):  # in every title; in one thread's and one document's only
        path = f"/api/v1/search?q={word}&per_page=5"
        client.get(path, headers=crowd.headers)  # warm
        with metered(app) as counts:
            response = client.get(path, headers=crowd.headers)
        costs[word] = (counts["sql"], counts["decrypt"], len(response.get_json()))
    (common_sql, common_opened, common_rows), (rare_sql, rare_opened, rare_rows) = (
        costs[WORD],
        costs["38"],
    )
    assert common_rows == 5 and 0 < rare_rows < common_rows
    assert common_sql == rare_sql
    # Decryptions: what the rows shown open (their seals and fields), nothing per match.
    assert common_opened / common_rows <= 2 * rare_opened / rare_rows


def test_a_full_search_page_costs_the_statements_of_one_hit(crowd, app, client, login):
    """The page of a common word (fifty hits) against a rare one's (two): the same
    statements, and only what each hit shows opened: its marking's seal, its title and, for
    a document, its description. Nothing is decrypted for a hit the page does not show."""
    crowd.fill(44)  # 54 hits the reader may see: a full page and more
    login(client, crowd.reader)
    costs = {}
    for word in (WORD, "38"):
        path = f"/search?q={word}"
        client.get(path)  # warm
        with metered(app) as counts:
            page = client.get(path).get_data(as_text=True)
        costs[word] = (counts["sql"], counts["decrypt"], page.count('class="pill subtle"'))
    (common_sql, common_opened, common_hits), (rare_sql, rare_opened, rare_hits) = (
        costs[WORD],
        costs["38"],
    )
    assert common_hits == 50 and rare_hits == 2
    assert common_sql == rare_sql
    assert common_opened <= 3 * common_hits and rare_opened <= 3 * rare_hits
