"""Notifications: kinds and parameters, grouping, the inbox, settings, followed groups."""

from __future__ import annotations

from sqlalchemy import select

from tests.discussions.support import new_thread, reply
from tests.support.web import post_form


def notices(app, persona):
    """(kind, params, count, link, rendered English text) of each notice, oldest first."""
    from emisa.extensions import db
    from emisa.notifications.models import Notification
    from emisa.notifications.operations import text_of

    with app.test_request_context():
        return [
            (n.kind, n.params, n.count, n.link, text_of(n))
            for n in db.session.scalars(
                select(Notification)
                .where(Notification.user_id == persona.id)
                .order_by(Notification.id)
            )
        ]


def test_mentions_and_replies_notify_without_content(client, team, app):
    tid = new_thread(client, team, title="SECRET-TITLE", body="Opening SECRET-BODY")
    opening = client.get(f"/api/v1/threads/{tid}", headers=team.h(team.member)).get_json()["posts"][
        0
    ]["id"]
    answer = reply(
        client,
        team,
        tid,
        "Ask @Observer Olga and @outsider otto SECRET-BODY",
        by=team.coordinator,
        parent_id=opening,
    ).get_json()["id"]
    mention = notices(app, team.observer)
    assert [(k, link) for k, _p, _c, link, _t in mention] == [("mention", f"/posts/{answer}")]
    assert mention[0][4] == (
        "Coordinator Colette mentioned you in a TLP:AMBER discussion in Prison and probation test."
    )
    assert notices(app, team.outsider) == []  # not a reader: never told
    replies = notices(app, team.member)
    assert [k for k, *_rest in replies] == ["reply"]
    for stored in (mention, replies):
        assert "SECRET" not in repr(stored)


def test_replies_group_per_thread_each_group_with_its_own_read_state(client, team, app, login):
    tid = new_thread(client, team, title="Screening")
    other = new_thread(client, team, title="Other")
    for n in range(3):
        reply(client, team, tid, f"answer {n}", by=team.coordinator)
    reply(client, team, other, "elsewhere", by=team.coordinator)
    rows = notices(app, team.member)
    assert [(k, c) for k, _p, c, _l, _t in rows] == [("reply", 3), ("reply", 1)]
    assert rows[0][4] == (
        "3 new replies in a TLP:AMBER discussion of yours in Prison and probation test, "
        "the latest from Coordinator Colette."
    )
    login(client, team.member)
    page = client.get("/notifications").get_data(as_text=True)
    assert "3 new replies" in page and 'data-unread="2"' in page
    # Opening one group reads it alone; the next reply starts a new group.
    from emisa.extensions import db
    from emisa.notifications.models import Notification

    with app.app_context():
        first = db.session.scalar(
            select(Notification.id)
            .where(Notification.user_id == team.member.id)
            .order_by(Notification.id)
        )
    post_form(client, f"/notifications/{first}/open", {}, page="/notifications")
    assert 'data-unread="1"' in client.get("/notifications").get_data(as_text=True)
    reply(client, team, tid, "one more", by=team.coordinator)
    assert [c for _k, _p, c, _l, _t in notices(app, team.member)] == [3, 1, 1]
    post_form(client, "/notifications/read-all", {}, page="/notifications")
    page = client.get("/notifications").get_data(as_text=True)
    assert 'data-unread="0"' in page


def test_followers_hear_of_new_threads_and_settings_switch_it_off(client, team, app, login):
    login(client, team.observer)
    assert (
        post_form(
            client, f"/groups/{team.group}/follow", {}, page=f"/groups/{team.group}/discussions"
        ).status_code
        == 302
    )
    new_thread(client, team, title="First")
    assert [k for k, *_rest in notices(app, team.observer)] == ["new_thread"]
    page = client.get("/notifications").get_data(as_text=True)
    assert "started a new TLP:AMBER discussion" in page
    assert 'data-unread="1"' in page
    post_form(
        client,
        "/notifications/settings",
        {"mentions": "y", "replies": "y", **email_modes()},
    )
    new_thread(client, team, title="Second")
    assert len(notices(app, team.observer)) == 1


def email_modes(**chosen) -> dict:
    from emisa.notifications.kinds import KINDS

    return {f"email-{kind}": chosen.get(kind, spec.email_default) for kind, spec in KINDS.items()}


def test_red_threads_do_not_notify_non_recipients(client, team, app, login):
    login(client, team.observer)
    post_form(client, f"/groups/{team.group}/follow", {}, page=f"/groups/{team.group}/discussions")
    new_thread(
        client,
        team,
        title="Red",
        tlp="TLP:RED",
        recipients=[team.coordinator.id],
        body="@Observer Olga should not hear of this",
    )
    assert notices(app, team.observer) == []


def test_other_features_notices_land_in_the_inbox(app, team):
    from flask import current_app

    from emisa.database import commit
    from emisa.signals import notify

    with app.app_context():
        notify.send(
            current_app._get_current_object(),
            user_ids=[team.member.id],
            kind="join_decision",
            params={"group": "Cyber", "approved": True},
            link="/groups/1",
            subject="group:1",
        )
        commit()
    assert notices(app, team.member)[0][3:] == (
        "/groups/1",
        "Your request to join Cyber was approved.",
    )


def test_notifications_are_private(client, team, app, login):
    new_thread(client, team)
    reply(client, team, 1, "hi", by=team.coordinator)
    from emisa.extensions import db
    from emisa.notifications.models import Notification

    with app.app_context():
        nid = db.session.scalar(
            select(Notification.id).where(Notification.user_id == team.member.id)
        )
    login(client, team.observer)
    response = post_form(client, f"/notifications/{nid}/open", {}, page="/notifications")
    assert response.status_code == 404


def test_notices_render_in_the_readers_language(client, team, app, login):
    """Stored as kind and parameters: the same row reads in each reader's locale."""
    from emisa.extensions import db
    from emisa.notifications.models import Notification
    from emisa.notifications.operations import text_of

    reply(client, team, new_thread(client, team), "hi", by=team.coordinator)
    with app.app_context():
        row = db.session.scalar(select(Notification))
        assert row.params == {
            "actor": "Coordinator Colette",
            "group": "Prison and probation test",
            "tlp": "TLP:AMBER",
        }
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("fr"):
        row = db.session.get(Notification, row.id)
        assert text_of(row)  # rendered through gettext in French, falling back to English
