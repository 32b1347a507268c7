"""A marking widened by a database edit alone puts its item on no list.

Lists filter in SQL, which cannot check a marking's seal: an item relabelled TLP:GREEN
and opened to every country in the database passes the SQL filter, but every row a list
shows is asked of the read rule, which finds the seal broken, so no page shows it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

LISTS = {
    # name: (path, kind of the tampered items, kind of the ids the list shows)
    "threads": ("/api/v1/groups/{g}/threads", "thread", "thread"),
    "documents": ("/api/v1/groups/{g}/documents", "document", "document"),
    "meetings": ("/api/v1/groups/{g}/meetings", "meeting", "meeting"),
    "library": ("/api/v1/library", "document", "library"),
}


def _widen(app, kind: str, ids: list[int], reader_id: int) -> None:
    """Relabel the items GREEN for every country in the database, and check the lists'
    SQL filter now selects them: only the seal stands between them and the reader."""
    from emisa.access.discussions import thread_read_clause
    from emisa.access.documents import document_read_clause
    from emisa.access.meetings import meeting_view_clause
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.discussions.models import Thread
    from emisa.documents.models import Document
    from emisa.extensions import db
    from emisa.meetings.models import Meeting

    model, clause = {
        "thread": (Thread, thread_read_clause),
        "document": (Document, document_read_clause),
        "meeting": (Meeting, meeting_view_clause),
    }[kind]
    with app.test_request_context():
        db.session.execute(
            sa.update(model)
            .where(model.id.in_(ids))
            .values(tlp="TLP:GREEN", releasable_to=[], origin_countries=[])
        )
        commit()
        reader = db.session.get(User, reader_id)
        reader.api_token = object()  # as a request signed in with a token holds it
        chosen = set(db.session.scalars(sa.select(model.id).where(clause(reader))))
        assert set(ids) <= chosen


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_marking_widened_in_the_database_is_on_no_page(crowd, client, app, name):
    crowd.fill(10)
    path, kind, listed = LISTS[name]
    tampered = list(crowd.hidden[kind])
    assert tampered  # RED items for the coordinator alone, AMBER items for France alone
    _widen(app, kind, tampered, crowd.reader.id)
    response = client.get(path.format(g=crowd.group) + "?per_page=100", headers=crowd.headers)
    assert response.status_code == 200, response.get_json()
    shown = [row["id"] for row in response.get_json()]
    assert shown == crowd.expected(listed)
    assert not set(shown) & set(tampered)
