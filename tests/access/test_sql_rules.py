"""The read rules' SQL twins select exactly what the rules allow, for every persona.

Lists page and count in SQL (``emisa/access/sql.py`` and the ``*_clause`` functions next to
each rule); if a twin drifted from its rule, a page would show an item its reader may not
read, or a total would count one. Here every persona of the access matrix (plus a partner
and a member of another group) meets threads, posts, documents and meetings of every
marking: every label, releasable-to lists that do and do not name them, origin-country
restrictions carried with the item, TLP:RED recipients in the one recipients table (also
stored on items of other labels, where they grant nothing), AMBER re-shares, groups open and
closed to their country, files attached to posts a coordinator hid. Every marking is
sealed, as the platform stores it; the ids the SQL selects must be the ids ``can`` allows,
one by one. (A marking changed outside the platform fails its seal, which SQL cannot check:
lists ask the rule of every row they show, see tests/lists/test_tampered_markings.py.)
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from emisa.access import can
from emisa.access.discussions import post_body_read_clause, thread_read_clause
from emisa.access.documents import document_read_clause
from emisa.access.groups import visible_group_ids
from emisa.access.marked import seal_marking
from emisa.access.markings import Tlp
from emisa.access.meetings import meeting_view_clause
from emisa.accounts.models import User
from emisa.database import commit
from emisa.discussions.models import Post, PostAttachment, Thread
from emisa.documents.models import Document, DocumentShare
from emisa.extensions import db
from emisa.groups.models import WorkingGroup
from emisa.groups.operations import add_member, create_group
from emisa.meetings.models import Meeting
from emisa.timeutil import utcnow
from tests.access.world import PERSONAS, UNSIGNED, World, insert_user

RELEASABLE = ([], ["NL"], ["BE", "DE"], ["FR"])
# Origin restrictions: none, the countries of some personas (NL, DE) and of others (BE).
ORIGINS = ([], ["NL", "DE"], ["BE"])
RECIPIENT_SETS = ((), ("member",), ("member", "observer", "partner", "admin", "wrong_country"))


class _Signed:
    """Stands for the credential of a fully signed-in request (an API token)."""


@pytest.fixture
def marked(app):
    """The world, two more groups, and content of every marking in each of the three."""
    world = World.build(app)
    people = dict(world.people)
    people["partner"] = insert_user(app, country="NL")
    people["other_member"] = insert_user(app, country="DE")
    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.id == people["partner"].id).values(kind="partner")
        )
        user = {key: db.session.get(User, persona.id) for key, persona in people.items()}
        home = db.session.get(WorkingGroup, world.group_id)
        add_member(home, user["partner"], "member", by=None)
        open_group = create_group("Open to all", "", [], "request")
        add_member(open_group, user["other_member"], "member", by=None)
        add_member(open_group, user["member"], "observer", by=None)
        add_member(open_group, user["admin"], "member", by=None)
        french = create_group("French only", "", ["FR"], "request")
        add_member(french, user["wrong_country"], "coordinator", by=None)
        db.session.flush()
        groups = (home, open_group, french)
        now = utcnow()
        combos = itertools.product(groups, Tlp, RELEASABLE, RECIPIENT_SETS)
        for n, (group, label, releasable, recipients) in enumerate(combos):
            ids = [user[key].id for key in recipients]
            # Varies with group, label and releasable-to alike, so every mix occurs.
            origins = ORIGINS[(n // len(RECIPIENT_SETS)) % len(ORIGINS)]
            marking = {"tlp": label.value, "releasable_to": releasable, "origin_countries": origins}
            thread = Thread(
                group_id=group.id, author_id=user["member"].id, title_sealed=b"-", **marking
            )
            meeting = Meeting(
                group_id=group.id,
                title_sealed=b"-",
                agenda_sealed=b"-",
                starts_at=now + timedelta(days=1),
                ends_at=now + timedelta(days=1, hours=1),
                **marking,
            )
            db.session.add_all([thread, meeting])
            for item in (thread, meeting):
                item.set_recipients(ids)
                seal_marking(item)
            for shared in ((), (open_group.id,), (home.id, open_group.id)):
                document = Document(
                    group_id=group.id,
                    origin_country="BE",
                    uploader_id=user["member"].id,
                    **marking,
                )
                db.session.add(document)
                document.set_recipients(ids)
                document.shares = [
                    DocumentShare(group_id=g) for g in shared if g != document.group_id
                ]
                seal_marking(document)
            if label in (Tlp.AMBER, Tlp.GREEN, Tlp.RED):
                hidden_post = _posts(thread, user, now, n)
                if (n // len(RECIPIENT_SETS)) % 2:  # a file on the hidden post is read like it
                    db.session.flush()
                    db.session.add(PostAttachment(post_id=hidden_post.id, document_id=document.id))
        commit()
    world.end_states()
    return world, people


def _posts(thread: Thread, user: dict, now, n: int) -> Post:
    """A plain post, one hidden by a coordinator and one deleted, by two different authors;
    returns the hidden one."""
    author = user["member"] if n % 2 else user["observer"]
    posts = [
        Post(
            thread_id=thread.id,
            group_id=thread.group_id,
            author_id=author.id,
            hidden_at=now if hidden else None,
            deleted_at=now if deleted else None,
        )
        for hidden, deleted in ((False, False), (True, False), (False, True))
    ]
    db.session.add_all(posts)
    return posts[1]


def _reader(people: dict, key: str):
    """The persona as a request would hold it: anonymous is nobody; the others are loaded,
    fully signed in unless the persona stops at the password step."""
    if key == "anonymous":
        return None
    user = db.session.get(User, people[key].id)
    if key != "password_only":
        user.api_token = _Signed()
    return user


CASES = {
    "thread read": (Thread, "read", thread_read_clause, None),
    "post read_body": (Post, "read_body", post_body_read_clause, Thread),
    "document read": (Document, "read", document_read_clause, None),
    "meeting view": (Meeting, "view", meeting_view_clause, None),
}


def test_sql_twins_select_exactly_what_the_rules_allow(app, marked):
    _world, people = marked
    with app.app_context():
        for case, (model, action, clause, joined) in CASES.items():
            items = db.session.scalars(sa.select(model)).all()
            partly = False
            for key in (*PERSONAS, "partner", "other_member"):
                reader = _reader(people, key)
                allowed = {item.id for item in items if can(reader, action, item)}
                statement = sa.select(model.id)
                if joined is not None:
                    statement = statement.join(joined, joined.id == model.thread_id)
                chosen = set(db.session.scalars(statement.where(clause(reader))))
                assert chosen == allowed, (case, key, sorted(chosen ^ allowed)[:10])
                partly |= 0 < len(allowed) < len(items)
            assert partly, case  # the rows exercise both sides of the rule


def test_group_visibility_twin(app, marked):
    """Group ids serve lists whose actor was checked already: the usable personas."""
    _world, people = marked
    with app.app_context():
        groups = db.session.scalars(sa.select(WorkingGroup)).all()
        for key in (*PERSONAS[len(UNSIGNED) :], "partner", "other_member"):
            reader = _reader(people, key)
            allowed = {group.id for group in groups if can(reader, "view", group)}
            assert 0 < len(allowed) < len(groups) or key == "admin", key
            assert set(db.session.scalars(visible_group_ids(reader))) == allowed, key
