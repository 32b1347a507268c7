"""The search page: one group or every group the user belongs to."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from emisa import audit
from emisa.access import require
from emisa.access.membership import member_group_ids
from emisa.groups.models import WorkingGroup
from emisa.i18n import datetime_formatter, term
from emisa.search.index import PER_PAGE, Results, search
from emisa.search.normalise import highlighter
from emisa.web import load_checked, page_count, page_number, page_url, whole_number_arg

bp = Blueprint("search", __name__)


def searchable_groups(group_id: int | None) -> list[int]:
    """The groups a query runs over: one the user reads, or all the groups they belong to."""
    if group_id is not None:
        return [load_checked(WorkingGroup, group_id, "read_content").id]
    require(current_user, "use")
    return sorted(member_group_ids(current_user))


@bp.route("/search")
@login_required
def index():
    query = (request.args.get("q") or "").strip()[:200]
    group_id = whole_number_arg("group")
    groups = searchable_groups(group_id)
    group = load_checked(WorkingGroup, group_id, "read_content") if group_id else None
    page = page_number()
    results = Results([], 0, False)
    if query:
        results = search(current_user, query, groups, page, PER_PAGE)
    # Past the cap there is at least one more hit than counted: a next page while there is.
    pages = page_count(results.total + results.capped, PER_PAGE)
    if page > pages:
        abort(404)
    if query:
        record_query(query, results)
    return render_template(
        "search/index.html",
        query=query,
        results=results,
        # What each hit shows, prepared once for the page rather than once per hit.
        mark=highlighter(query),
        shown_time=datetime_formatter(),
        kind_names={kind: term(kind) for kind in {hit.kind for hit in results.hits}},
        group=group,
        page=page,
        pages=pages,
        page_url=page_url,
    )


def record_query(query: str, results: Results) -> None:
    """Audit a search. The query is what the user looks for, possibly sensitive: only its
    size is logged, and how many hits it had (at least, when past the cap)."""
    audit.record_event(
        "search.query",
        details={"words": len(query.split()), "hits": results.total, "more": results.capped},
    )
