"""What a list request costs does not grow with the group: same SQL statements, and
decryptions only for the rows it shows, with 10 items and with 200.

Each request is counted at both sizes: the number of SQL statements must be the same, and
the decryptions must be the rows shown times what one row opens (its title, say) plus the
same constant at both sizes. A list that loaded, checked or opened every row of the group,
or asked one query per row, fails here.
"""

from __future__ import annotations

import re

from bench.growth import metered
from tests.lists.conftest import WORD

LINK = re.compile(r'href="/(threads|documents|meetings)/(\d+)"')
# What one shown row opens, by kind: its marking's seal (checked before it is shown), then
# its sealed fields: a thread its title, a document in a list its title (the library and
# search also its description, the library page its tags), a meeting its title and agenda.
API = {
    "thread list API": ("/api/v1/groups/{g}/threads?per_page=5", {"thread": 2}),
    "document list API": ("/api/v1/groups/{g}/documents?per_page=5", {"document": 2}),
    "meeting list API": ("/api/v1/groups/{g}/meetings?per_page=5", {"meeting": 3}),
    "library API": ("/api/v1/library?per_page=5", {"document": 2}),
    "search API": (f"/api/v1/search?q={WORD}&per_page=5", {"thread": 2, "document": 3}),
    "group list API": ("/api/v1/groups?per_page=5", {}),
}
PAGES = {
    "thread list page": ("/groups/{g}/discussions", {"thread": 2}),
    "document list page": ("/groups/{g}/documents", {"document": 2}),
    "meeting list page": ("/groups/{g}/meetings", {"meeting": 2}),
    "library page": ("/best-practice", {"document": 4}),
    "search page": (f"/search?q={WORD}", {"thread": 2, "document": 3}),
    "dashboard": ("/", {}),
    "notifications": ("/notifications", {}),
    "admin audit log": ("/admin/audit", {}),
}


def _shown_api(rows: list[dict], name: str) -> dict[str, int]:
    if name.startswith("search"):
        kinds = [row["kind"] for row in rows]
        return {kind: kinds.count(kind) for kind in set(kinds)}
    kind = {"thread": "thread", "meeting": "meeting", "group": "group"}.get(name.split()[0])
    return {kind or "document": len(rows)}


def _shown_page(text: str) -> dict[str, int]:
    links = dict.fromkeys(LINK.findall(text))
    kinds = [kind.rstrip("s") for kind, _id in links]
    return {kind: kinds.count(kind) for kind in set(kinds)}


def _cost(app, client, path: str, headers: dict, per_row: dict, name: str):
    """(statements, decryptions not explained by the rows shown, rows shown)."""
    client.get(path, headers=headers)  # warm: compiled statements, unwrapped group keys
    with metered(app) as counts:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, (name, response.status_code)
    if response.is_json:
        shown = _shown_api(response.get_json(), name)
    else:
        shown = _shown_page(response.get_data(as_text=True))
    opened_for_rows = sum(per_row.get(kind, 0) * n for kind, n in shown.items())
    return counts["sql"], counts["decrypt"] - opened_for_rows, sum(shown.values())


def test_list_requests_cost_the_same_with_10_and_200_items(crowd, app, readers):
    requests = {name: ("api", path, rows) for name, (path, rows) in API.items()}
    requests |= {
        name: ("admin" if name.startswith("admin") else "page", path, rows)
        for name, (path, rows) in PAGES.items()
    }
    costs = {}
    for size in (10, 200):
        crowd.fill(size - crowd.made)
        for name, (who, path, per_row) in requests.items():
            client, headers = readers[who]
            costs.setdefault(name, []).append(
                _cost(app, client, path.format(g=crowd.group), headers, per_row, name)
            )
    for name, ((sql_small, extra_small, _), (sql_large, extra_large, shown)) in costs.items():
        assert sql_large == sql_small, f"{name}: {sql_small} then {sql_large} SQL statements"
        assert extra_large == extra_small, (
            f"{name}: {extra_small} then {extra_large} decryptions beyond its {shown} rows"
        )
    # The lists did grow: the large size shows full pages.
    assert costs["thread list page"][1][2] == 30 and costs["document list page"][1][2] == 50
    assert costs["meeting list page"][1][2] >= 20
