"""Email of notices: a real SMTP server, the recipient's language, no content, nothing lost."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import select

from tests.access.world import set_account
from tests.discussions.support import new_thread, reply
from tests.support.smtp import free_port, start_smtp


def stored(app, persona):
    from emisa.extensions import db
    from emisa.notifications.models import Notification

    with app.app_context():
        return [
            (n.kind, n.emailed_at is not None)
            for n in db.session.scalars(
                select(Notification).where(Notification.user_id == persona.id)
            )
        ]


def test_a_mention_is_mailed_at_once_in_the_recipients_language_without_the_title(
    client, team, app, smtp
):
    set_account(app, team.observer, language="fr")
    tid = new_thread(client, team, title="SECRET-TITLE", body="SECRET-BODY")
    response = reply(client, team, tid, "@Observer Olga SECRET-BODY", by=team.coordinator)
    assert response.status_code == 201
    [mail] = smtp.to(team.observer.email)
    assert mail["Content-Language"] == "fr"
    text = mail.as_string()
    assert "SECRET" not in text
    assert "TLP:AMBER" in text and "Prison and probation test" in text
    post_id = response.get_json()["id"]
    assert f"https://emisa.example/posts/{post_id}" in mail.get_content()
    # A reply is a digest kind by default: the thread's author gets nothing yet.
    assert smtp.to(team.member.email) == []
    from emisa.database import commit
    from emisa.notifications.operations import send_digests

    with app.app_context():
        assert send_digests() == 1
        commit()
        assert send_digests() == 0  # mailed once
    [digest] = smtp.to(team.member.email)
    assert digest["Content-Language"] == "en"
    assert "replied in a TLP:AMBER discussion" in digest.get_content()
    assert "SECRET" not in digest.as_string()


def _schedule(client, team, title: str):
    from emisa.timeutil import utcnow

    start = (utcnow() + timedelta(days=2)).replace(microsecond=0, second=0)
    response = client.post(
        f"/api/v1/groups/{team.group}/meetings",
        json={
            "title": title,
            "starts_at": start.isoformat() + "Z",
            "ends_at": (start + timedelta(hours=1)).isoformat() + "Z",
            "agenda": ["One"],
            "tlp": "TLP:AMBER",
        },
        headers=team.h(team.coordinator),
    )
    assert response.status_code == 201, response.get_json()
    return start.replace(tzinfo=ZoneInfo("UTC"))


def test_a_meeting_invitation_shows_its_time_in_the_recipients_zone_and_locale(
    client, team, app, smtp
):
    set_account(app, team.member, language="fr", time_zone="Africa/Tunis")
    start = _schedule(client, team, "SECRET-MEETING")
    [mail] = smtp.to(team.member.email)
    expected = format_datetime(start, "medium", tzinfo=ZoneInfo("Africa/Tunis"), locale="fr")
    assert expected in mail.get_content()  # French month, Tunis time
    assert "SECRET" not in mail.as_string()
    assert len(smtp.to(team.observer.email)) == 1  # every invitee, in English
    assert smtp.to(team.coordinator.email) == []  # not the one who scheduled it


def test_a_reader_who_chose_eastern_arabic_digits_gets_them_in_the_mail(client, team, app, smtp):
    set_account(app, team.member, language="ar", time_zone="Asia/Amman", digits="arab")
    start = _schedule(client, team, "SECRET-MEETING")
    [mail] = smtp.to(team.member.email)
    latin = format_datetime(start, "medium", tzinfo=ZoneInfo("Asia/Amman"), locale="ar")
    eastern = latin.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert eastern != latin and eastern in mail.get_content()
    assert latin not in mail.get_content()


def test_a_failed_smtp_server_loses_nothing_and_breaks_no_request(
    client, team, app, runner, tmp_path
):
    app.config["EMISA_SMTP_URL"] = f"smtp://localhost:{free_port()}"  # nobody listens
    app.config["EMISA_SMTP_TIMEOUT"] = 2
    tid = new_thread(client, team)
    response = reply(client, team, tid, "@Observer Olga please", by=team.coordinator)
    assert response.status_code == 201
    assert stored(app, team.observer) == [("mention", False)]
    controller, server = start_smtp(tmp_path)
    try:
        app.config["EMISA_SMTP_URL"] = server.url
        app.config["EMISA_SMTP_CA_FILE"] = server.ca_file
        result = runner.invoke(args=["emisa", "send-digests"])
        assert result.exit_code == 0, result.output
        assert "mentioned you" in server.to(team.observer.email)[0].get_content()
        assert stored(app, team.observer) == [("mention", True)]
    finally:
        controller.stop()


def test_email_choices_per_kind(client, team, app, smtp, login):
    from tests.notifications.test_notifications import email_modes
    from tests.support.web import post_form

    login(client, team.member)
    page = client.get("/notifications/settings").get_data(as_text=True)
    # The defaults: a reply in the digest, a mention at once.
    assert 'checked id="email-reply-1"' in page and 'checked id="email-mention-0"' in page
    response = post_form(
        client,
        "/notifications/settings",
        {"mentions": "y", "replies": "y", **email_modes(reply="immediately", mention="never")},
    )
    assert response.status_code == 302
    tid = new_thread(client, team)
    reply(client, team, tid, "an answer @Member Mohamed", by=team.coordinator)
    # The mention (switched to never) took the place of the reply notice: nothing mailed.
    assert smtp.to(team.member.email) == []
    reply(client, team, tid, "an answer", by=team.coordinator)
    [mail] = smtp.to(team.member.email)
    assert "replied" in mail.get_content()


def test_a_member_removed_gets_no_more_notices_nor_mail(client, team, app, smtp):
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import Membership
    from emisa.groups.operations import remove_member
    from emisa.notifications.operations import send_digests

    tid = new_thread(client, team)
    reply(client, team, tid, "first answer", by=team.coordinator)
    assert stored(app, team.member) == [("reply", False)]
    with app.app_context():
        membership = db.session.scalar(
            select(Membership).where(
                Membership.group_id == team.group, Membership.user_id == team.member.id
            )
        )
        remove_member(membership, db.session.get(User, team.coordinator.id))
        commit()
    reply(client, team, tid, "second answer", by=team.coordinator)
    assert stored(app, team.member) == [("reply", False)]  # not grouped in: not told at all
    with app.app_context():
        send_digests()
        commit()
    assert smtp.to(team.member.email) == []  # the earlier notice is not mailed either
