"""Reads of document metadata and successful calendar-feed fetches are audited like every
other content read: who, what, how."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from emisa.extensions import db
from tests.conftest import bearer
from tests.support.web import post_form


def entries(app, action: str) -> list[tuple[int | None, str, dict]]:
    from emisa.audit.models import AuditEntry

    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [(row.actor_id, row.target_id, json.loads(row.details)) for row in rows]


def test_document_metadata_reads_are_audited_by_page_and_api(
    app, make_user, make_group, login, token_for
):
    reader = make_user()
    gid = make_group(members={reader: "member"})
    token = token_for(reader)
    api = app.test_client()
    made = api.post(
        f"/api/v1/groups/{gid}/documents",
        headers=bearer(token),
        data={
            "title": "Quarterly picture",
            "tlp": "TLP:AMBER",
            "file": (io.BytesIO(b"x"), "q.txt"),
        },
        content_type="multipart/form-data",
    )
    assert made.status_code == 201
    document_id = made.get_json()["id"]
    assert entries(app, "document.viewed") == []
    assert api.get(f"/api/v1/documents/{document_id}", headers=bearer(token)).status_code == 200
    browser = app.test_client()
    login(browser, reader)
    assert browser.get(f"/documents/{document_id}").status_code == 200
    assert entries(app, "document.viewed") == [
        (reader.id, str(document_id), {"via": "api"}),
        (reader.id, str(document_id), {"via": "web"}),
    ]
    # A refused read is no read: an outsider leaves a denial, not a "viewed" entry.
    outsider = make_user()
    assert (
        app.test_client()
        .get(f"/api/v1/documents/{document_id}", headers=bearer(token_for(outsider)))
        .status_code
        == 404
    )
    assert len(entries(app, "document.viewed")) == 2


def test_a_successful_feed_fetch_is_audited_for_its_owner(app, make_user, login):
    person = make_user()
    browser = app.test_client()
    login(browser, person)
    page = post_form(browser, "/meetings/feed", {}, page="/meetings").get_data(as_text=True)
    path = re.search(r"(/meetings/feed/[A-Za-z0-9_-]+\.ics)", page).group(1)
    assert entries(app, "meeting.feed_read") == []
    assert app.test_client().get(path).status_code == 200
    assert entries(app, "meeting.feed_read") == [(person.id, str(person.id), {})]
