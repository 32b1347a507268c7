"""Search over the API."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import Schema, fields, validate

from emisa.api.blueprint import api_blueprint, errors
from emisa.api.pagination import PAGE_HEADERS, Page, paginated
from emisa.api.schemas import DatabaseId
from emisa.search.index import TOTAL_CAP, search
from emisa.search.views import record_query, searchable_groups

blp = api_blueprint("api_search", __name__, "Search over encrypted content (blind index)")


class SearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    group_id = DatabaseId(load_default=None)


class Hit(Schema):
    kind = fields.String(metadata={"description": "thread, post or document"})
    id = fields.Integer(attribute="item_id")
    group_id = fields.Integer()
    group_name = fields.String()
    title = fields.String()
    excerpt = fields.String()
    url = fields.String()
    tlp = fields.String()


HEADERS = {
    **PAGE_HEADERS,
    "X-Total-Count": {
        "description": f"How many hits the caller may read: exact up to {TOTAL_CAP} (or to the "
        f"end of the page asked for, if further); beyond, that number and a plus sign "
        f"(`{TOTAL_CAP}+`: more than {TOTAL_CAP}).",
        "schema": {"type": "string", "pattern": "^[0-9]+\\+?$"},
    },
}


@blp.route("/search")
@blp.arguments(SearchArgs, location="query")
@paginated(
    blp,
    Hit(many=True),
    [
        {
            "in": "query",
            "name": "q",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": "Words to find; every one must appear.",
        },
        {
            "in": "query",
            "name": "group_id",
            "schema": {"type": "integer"},
            "description": "Search this group only (default: every group of the caller).",
        },
    ],
    HEADERS,
)
@errors(blp, 400, 401, 403, 404)
def search_api(args, page: Page):
    """Items holding every word of ``q`` (case- and accent-insensitive) that the caller may read,
    in one group (``group_id``) or in all the caller's groups, the most recently written
    first (created, or edited since)."""
    groups = searchable_groups(args["group_id"])
    results = search(current_user, args["q"], groups, page.number, page.size)
    record_query(args["q"], results)
    # Past the cap there is at least one more hit than counted: a next page while there is.
    items, status, headers = page.answer(results.hits, results.total + results.capped)
    if results.capped:
        headers["X-Total-Count"] = f"{results.total}+"
    return items, status, headers
