"""Notifications: mentions, replies, followed groups, settings, the bell, the digest."""

from __future__ import annotations

from sqlalchemy import select

from tests.discussions.support import new_thread, reply
from tests.support.web import post_form


def _notices(app, persona):
    from emisa.extensions import db
    from emisa.notifications.models import Notification

    with app.app_context():
        return [
            (n.kind, n.text, n.link)
            for n in db.session.scalars(
                select(Notification).where(Notification.user_id == persona.id)
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
    mention = _notices(app, team.observer)
    assert [(k, link) for k, _t, link in mention] == [("mention", f"/posts/{answer}")]
    assert "Coordinator Colette mentioned you" in mention[0][1]
    assert "Prison and probation test" in mention[0][1]
    assert _notices(app, team.outsider) == []  # not a reader: never told
    replies = _notices(app, team.member)
    assert [k for k, _t, _l in replies] == ["reply"]
    for notices in (mention, replies):
        for _kind, text, _link in notices:
            assert "SECRET" not in text


def test_followers_hear_of_new_threads_and_settings_switch_it_off(client, team, app, login):
    login(client, team.observer)
    assert (
        post_form(
            client, f"/groups/{team.group}/follow", {}, page=f"/groups/{team.group}/discussions"
        ).status_code
        == 302
    )
    new_thread(client, team, title="First")
    assert [k for k, _t, _l in _notices(app, team.observer)] == ["new_thread"]
    page = client.get("/notifications").get_data(as_text=True)
    assert "started a new TLP:AMBER discussion" in page
    assert "Notifications (1)" in page
    post_form(client, "/notifications/settings", {"mentions": "y", "replies": "y"})
    new_thread(client, team, title="Second")
    assert len(_notices(app, team.observer)) == 1
    post_form(client, "/notifications/read-all", {}, page="/notifications")
    assert "Notifications (1)" not in client.get("/notifications").get_data(as_text=True)


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
    assert _notices(app, team.observer) == []


def test_other_features_notices_land_in_the_inbox(app, team):
    from flask import current_app

    from emisa.database import commit
    from emisa.signals import notify

    with app.app_context():
        notify.send(
            current_app._get_current_object(),
            user_ids=[team.member.id],
            kind="meeting",
            text="A meeting was cancelled",
            link="/groups/1",
        )
        commit()
    assert _notices(app, team.member) == [("meeting", "A meeting was cancelled", "/groups/1")]


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


def test_daily_digest_mails_unread_notices(app, team, monkeypatch, client):
    from emisa import mail
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.notifications.models import NotificationSetting
    from emisa.notifications.operations import send_digests

    sent = []
    monkeypatch.setattr(
        mail, "send_mail", lambda to, subject, body: sent.append((to, body)) or True
    )
    app.config["EMISA_SMTP_URL"] = "smtp://mail.example:587"
    with app.app_context():
        db.session.add(
            NotificationSetting(
                user_id=team.member.id,
                mentions=True,
                replies=True,
                new_threads=True,
                daily_digest=True,
            )
        )
        commit()
    tid = new_thread(client, team, title="DIGEST-SECRET")
    reply(client, team, tid, "DIGEST-SECRET body", by=team.coordinator)
    with app.app_context():
        assert send_digests() == 1
        commit()
        assert send_digests() == 0  # already mailed
    assert sent[0][0] == team.member.email
    assert "replied to your thread" in sent[0][1] and "DIGEST-SECRET" not in sent[0][1]
