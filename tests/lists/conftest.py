"""A group whose lists hold items its reader may and may not see, grown on demand.

``crowd.fill(n)`` adds n threads, n documents and n meetings through the platform's own
operations. Every fourth item is TLP:RED for the coordinator alone and every fifth is
releasable to France only: the reader (a member from the Netherlands) may see neither,
so each list has hidden items among visible ones on every page. ``crowd.visible`` keeps,
per kind, the ids the reader may see, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from tests.conftest import Persona, bearer
from tests.discussions.support import api_token

WORD = "screening"  # in every thread title, document and meeting: what the search finds


@dataclass
class Crowd:
    app: object
    group: int
    reader: Persona
    coordinator: Persona
    token: str
    visible: dict[str, list[int]] = field(
        default_factory=lambda: {"thread": [], "document": [], "meeting": [], "library": []}
    )
    hidden: dict[str, list[int]] = field(
        default_factory=lambda: {"thread": [], "document": [], "meeting": []}
    )
    made: int = 0

    @property
    def headers(self) -> dict:
        return bearer(self.token)

    def _marking(self, n: int) -> tuple[str, list[str], bool]:
        """(label, releasable-to, hidden from the reader) of the n-th item."""
        if n % 4 == 3:
            return "TLP:RED", [], True
        if n % 5 == 4:
            return "TLP:AMBER", ["FR"], True
        return ("TLP:GREEN" if n % 3 == 0 else "TLP:AMBER"), [], False

    def fill(self, count: int) -> None:
        from bench.growth import upload_document
        from emisa.accounts.models import User
        from emisa.database import commit
        from emisa.discussions import operations as ops
        from emisa.documents.operations import validate_marking
        from emisa.extensions import db
        from emisa.groups.models import WorkingGroup
        from emisa.meetings.operations import MeetingInput, create_meeting
        from emisa.timeutil import utcnow

        with self.app.test_request_context():
            group = db.session.get(WorkingGroup, self.group)
            author = db.session.get(User, self.coordinator.id)
            start = utcnow() + timedelta(days=1)
            for n in range(self.made, self.made + count):
                label, releasable, hidden = self._marking(n)
                recipients = [author.id] if label == "TLP:RED" else []
                thread = ops.create_thread(
                    group, author, f"Thread {n} on {WORD}", "Body", label, releasable
                )
                document = upload_document(
                    group,
                    author,
                    f"Document {n} on {WORD}",
                    validate_marking(
                        group, author, tlp=label, releasable_to=releasable, recipients=recipients
                    ),
                    description="Notes",
                    tags=["exit"],
                )
                when = start + timedelta(hours=n)
                meeting = create_meeting(
                    group,
                    MeetingInput(
                        f"Meeting {n} on {WORD}",
                        when,
                        when + timedelta(minutes=30),
                        [],
                        label,
                        [],
                        releasable,
                    ),
                    author,
                )
                db.session.flush()
                for kind, item in (
                    ("thread", thread),
                    ("document", document),
                    ("meeting", meeting),
                ):
                    (self.hidden if hidden else self.visible)[kind].append(item.id)
                if not hidden and label == "TLP:GREEN":
                    self.visible["library"].append(document.id)
            commit()
        self.made += count

    def expected(self, kind: str) -> list[int]:
        """The ids the reader must see, in the list's order (meetings by start time)."""
        ids = self.visible[kind]
        return list(ids) if kind == "meeting" else ids[::-1]


@pytest.fixture
def crowd(app, make_user, make_group) -> Crowd:
    coordinator = make_user(name="Coordinator Camille", country="FR")
    reader = make_user(name="Reader Ruud", country="NL")
    group = make_group(members={coordinator: "coordinator", reader: "member"})
    return Crowd(app, group, reader, coordinator, api_token(app, reader))


@pytest.fixture
def readers(crowd, app, make_user, login):
    """The crowd's reader in a browser and over the API, and an administrator's browser."""
    browser = app.test_client()
    login(browser, crowd.reader)
    admin = make_user(country="DE", admin=True)
    admin_browser = app.test_client()
    login(admin_browser, admin)
    return {
        "page": (browser, {}),
        "api": (app.test_client(), bearer(api_token(app, crowd.reader))),
        "admin": (admin_browser, {}),
    }
