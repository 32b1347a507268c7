"""Paged list answers of the JSON API: still a JSON array, with the paging in headers.

``?page=`` (from 1) and ``?per_page=`` (default 100, at most 500) choose the slice;
``X-Total-Count`` gives how many items the caller may see in all and ``Link`` the
neighbouring pages (RFC 8288, rel ``next`` / ``prev``). A list never loads more rows
than one page: the views hand the database a limit and an offset.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, request, url_for

from emisa.extensions import db
from emisa.web import page_number

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500

PAGE_PARAMETERS = [
    {
        "in": "query",
        "name": "page",
        "schema": {"type": "integer", "minimum": 1, "default": 1},
        "description": "Which page of the list, from 1.",
    },
    {
        "in": "query",
        "name": "per_page",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PER_PAGE,
            "default": DEFAULT_PER_PAGE,
        },
        "description": "Items per page.",
    },
]
PAGE_HEADERS = {
    "X-Total-Count": {
        "description": "How many items the caller may see in the whole list.",
        "schema": {"type": "integer"},
    },
    "Link": {
        "description": 'The neighbouring pages: `<url>; rel="next"`, `<url>; rel="prev"`.',
        "schema": {"type": "string"},
    },
}


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def answer(self, items: list, total: int) -> tuple[list, int, dict]:
        """The view's return value: the items, 200, and the paging headers."""
        return items, 200, self.headers(total)

    def response(self, items: list, total: int):
        """A JSON response of items already in the documented shape (no schema pass)."""
        response = current_app.json.response(items)
        response.headers.update(self.headers(total))
        return response

    def of(self, statement: sa.Select) -> sa.Select:
        """``statement`` narrowed to this page (it must have an order)."""
        return statement.offset(self.offset).limit(self.size)

    @staticmethod
    def total(statement: sa.Select) -> int:
        """How many rows ``statement`` selects in all, counted by the database."""
        counted = sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
        return db.session.scalar(counted)

    def headers(self, total: int) -> dict[str, str]:
        links = []
        if self.offset + self.size < total:
            links.append(f'<{_page_url(self.number + 1, self.size)}>; rel="next"')
        if self.number > 1:
            links.append(f'<{_page_url(self.number - 1, self.size)}>; rel="prev"')
        headers = {"X-Total-Count": str(total)}
        if links:
            headers["Link"] = ", ".join(links)
        return headers


def _page_url(number: int, size: int) -> str:
    args = {**request.args.to_dict(), **request.view_args, "page": number, "per_page": size}
    return url_for(request.endpoint, _external=True, **args)


def requested_page() -> Page:
    """The page the request asks for; a malformed or out-of-range value is a 400."""
    raw = request.args.get("per_page", "").strip()
    size = DEFAULT_PER_PAGE
    if raw:
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PER_PAGE:
            abort(
                400,
                description=f"per_page must be a whole number from 1 to {MAX_PER_PAGE}.",
            )
        size = int(raw)
    return Page(page_number(), size)


def paginated(blp, schema, parameters: list | None = None, headers: dict = PAGE_HEADERS):
    """A list operation answering ``schema`` items a page at a time; the view gets ``page``.

    ``parameters``: the operation's other query parameters. They must be named here, even
    those a ``blp.arguments`` schema reads: flask-smorest's document keeps one list.
    ``headers``: how the paging headers are documented, if the list says them differently.
    """

    def decorate(view):
        @functools.wraps(view)
        def paged_view(*args, **kwargs):
            return view(*args, page=requested_page(), **kwargs)

        documented = blp.doc(parameters=[*(parameters or ()), *PAGE_PARAMETERS])(paged_view)
        return blp.response(200, schema, headers=headers)(documented)

    return decorate
