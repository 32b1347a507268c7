"""Rights withdrawn at once: a client that only listens hears nothing it may no longer hear.

Each way a right can be lost is made for real, through the HTTP request a coordinator, an
administrator or the account itself would send, while a python-socketio client that joined
the meeting only listens. It must then be removed from the room or disconnected, and receive
none of the chat and minutes sent afterwards; a socket opened with another, still valid
credential of the same account keeps hearing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from emisa.extensions import db
from tests.conftest import bearer
from tests.meetings.conftest import Peer, session_cookie
from tests.support.web import post_form

NEW_PASSWORD = "another horse battery staple 2"


@dataclass
class Scene:
    """One open meeting: a coordinator and a speaker who keep their rights, and Ann, who may not."""

    app: object
    url: str
    group: int
    meeting: int
    people: dict
    chair: Peer
    bob: Peer
    chair_token: str
    login: Callable
    listening: str = ""  # the token Ann's listener connected with, when it uses one

    def signed_in(self, who: str):
        """A browser of ``who``, signed in through both real steps."""
        client = self.app.test_client()
        self.login(client, self.people[who])
        return client

    def membership_id(self, who: str) -> int:
        from emisa.groups.models import Membership

        with self.app.app_context():
            return db.session.scalar(
                select(Membership.id).filter_by(group_id=self.group, user_id=self.people[who].id)
            )

    def remark(self, **changes) -> None:
        """The coordinator changes the meeting's marking through the API."""
        client = self.app.test_client()
        current = client.get(f"/api/v1/meetings/{self.meeting}", headers=bearer(self.chair_token))
        body = current.get_json()
        body = {
            "title": body["title"],
            "starts_at": body["starts_at"],
            "ends_at": body["ends_at"],
            "agenda": body["agenda"],
            "tlp": body["tlp"],
            "invitees": body["invitees"] or [],
            "releasable_to": body["releasable_to"],
            **changes,
        }
        answer = client.put(
            f"/api/v1/meetings/{self.meeting}", json=body, headers=bearer(self.chair_token)
        )
        assert answer.status_code == 200, answer.get_json()


def _sent(response) -> None:
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _ids(people, *names) -> list[int]:
    return [people[name].id for name in names]


# The ways a right is lost. Each takes the scene and the listener's own browser (the one whose
# session the listener's socket uses, when it listens with a session) and makes the change.


def remark_red_without_ann(scene: Scene, _browser) -> None:
    scene.remark(tlp="TLP:RED", invitees=_ids(scene.people, "chair", "bob"))


def drop_ann_from_recipients(scene: Scene, _browser) -> None:
    scene.remark(invitees=_ids(scene.people, "chair", "bob"))


def narrow_releasable_to(scene: Scene, _browser) -> None:
    scene.remark(releasable_to=["JO", "TN"])


def narrow_group_countries(scene: Scene, _browser) -> None:
    admin = scene.signed_in("admin")
    data = {"name": "Returnees desk", "mandate": "", "allowed_countries": ["JO", "TN"]}
    _sent(post_form(admin, f"/groups/{scene.group}/edit", {**data, "join_policy": "request"}))


def end_membership(scene: Scene, _browser) -> None:
    chair = scene.signed_in("chair")
    url = f"/groups/{scene.group}/members/{scene.membership_id('ann')}/remove"
    _sent(post_form(chair, url, {}, page=f"/groups/{scene.group}"))


def suspend_account(scene: Scene, _browser) -> None:
    admin = scene.signed_in("admin")
    page = f"/admin/accounts/{scene.people['ann'].id}"
    _sent(post_form(admin, f"{page}/suspend", {}, page=page))


def expire_account(scene: Scene, _browser) -> None:
    admin = scene.signed_in("admin")
    page = f"/admin/accounts/{scene.people['ann'].id}"
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    _sent(post_form(admin, f"{page}/expiry", {"expires_on": yesterday}, page=page))


def correct_country(scene: Scene, _browser) -> None:
    """The meeting is open to Ann's country; an administrator corrects her country to another."""
    scene.remark(releasable_to=["JO", "TN", "KE"])
    admin = scene.signed_in("admin")
    page = f"/admin/accounts/{scene.people['ann'].id}"
    data = {"name": "Ann Nairobi", "organisation": "Agency", "country": "FR"}
    _sent(post_form(admin, f"{page}/details", data, page=page))


def _credential_ids(scene: Scene, model) -> list[int]:
    with scene.app.app_context():
        return list(
            db.session.scalars(
                select(model.id).filter_by(user_id=scene.people["ann"].id).order_by(model.id)
            )
        )


def revoke_listening_session(scene: Scene, browser) -> None:
    """Ann, in a second browser, ends the session her first browser listens with."""
    from emisa.accounts.models import AuthSession

    listening = _credential_ids(scene, AuthSession)[0]
    url = f"/account/sessions/{listening}/revoke"
    _sent(post_form(browser, url, {}, page="/account", prefix="rv"))


def revoke_listening_token_on_account_page(scene: Scene, browser) -> None:
    from emisa.accounts.models import ApiToken

    listening = _credential_ids(scene, ApiToken)[0]
    url = f"/account/tokens/{listening}/revoke"
    _sent(post_form(browser, url, {}, page="/account", prefix="rv"))


def revoke_listening_token_by_api(scene: Scene, _browser) -> None:
    answer = scene.app.test_client().delete("/api/v1/auth/token", headers=bearer(scene.listening))
    assert answer.status_code == 204


def sign_out_everywhere(scene: Scene, browser) -> None:
    _sent(post_form(browser, "/logout", {}, page="/account"))


def change_password(scene: Scene, browser) -> None:
    data = {
        "pw-current_password": scene.people["ann"].password,
        "pw-password": NEW_PASSWORD,
        "pw-confirm": NEW_PASSWORD,
    }
    _sent(post_form(browser, "/account/password", data, page="/account", prefix="pw"))


@dataclass(frozen=True)
class Way:
    change: Callable[[Scene, object], None]
    tlp: str = "TLP:AMBER"
    # "token" or "session": the credential the listening socket was opened with.
    listens_with: str = "token"
    # A second socket of Ann opened with this other credential must keep hearing.
    survivor: str | None = None


WAYS = {
    "meeting re-marked TLP:RED without her": Way(remark_red_without_ann),
    "removed from the named recipients": Way(drop_ann_from_recipients, tlp="TLP:RED"),
    "releasable-to narrowed": Way(narrow_releasable_to),
    "group's allowed countries narrowed": Way(narrow_group_countries, listens_with="session"),
    "country corrected by an administrator": Way(correct_country, listens_with="session"),
    "membership ended": Way(end_membership),
    "account suspended": Way(suspend_account, listens_with="session"),
    "account expired": Way(expire_account),
    "session revoked": Way(revoke_listening_session, listens_with="session", survivor="token"),
    "token revoked on the account page": Way(
        revoke_listening_token_on_account_page, survivor="session"
    ),
    "token revoked through the API": Way(revoke_listening_token_by_api, survivor="token"),
    "signed out everywhere": Way(sign_out_everywhere, listens_with="session"),
    "password changed in another session": Way(
        change_password, listens_with="session", survivor="session"
    ),
}


@pytest.fixture
def cast(make_user, make_group):
    people = {
        "chair": make_user(name="Chair Amman", country="JO"),
        "bob": make_user(name="Bob Tunis", country="TN"),
        "ann": make_user(name="Ann Nairobi", country="KE"),
        "admin": make_user(name="Admin Brussels", country="BE", admin=True),
    }
    group = make_group(
        "Returnees desk",
        members={people["chair"]: "coordinator", people["bob"]: "member", people["ann"]: "member"},
    )
    return group, people


def _hears(peer: Peer, event: str, text: str) -> bool:
    return any(item.get("text") == text for item in peer.received(event))


def assert_hears_nothing_more(scene: Scene, listener: Peer, survivor: Peer | None) -> None:
    """Cut off: removed or disconnected, and none of what is said afterwards reaches it."""
    deadline = time.monotonic() + 10
    while listener.connected and not listener.received("removed"):
        assert time.monotonic() < deadline, "the listener is still in the room"
        time.sleep(0.05)
    assert scene.bob.call("chat", {"text": "after the change"})["ok"]
    assert scene.chair.call("minutes", {"text": "minutes after the change"})["ok"]
    # The broadcasts went out: those still allowed got them.
    scene.chair.wait_for("chat", lambda m: m["text"] == "after the change")
    scene.bob.wait_for("minutes", lambda m: m["text"] == "minutes after the change")
    if survivor is not None:
        survivor.wait_for("chat", lambda m: m["text"] == "after the change")
        survivor.wait_for("minutes", lambda m: m["text"] == "minutes after the change")
        assert survivor.connected
    time.sleep(0.3)
    assert not _hears(listener, "chat", "after the change")
    assert not _hears(listener, "minutes", "minutes after the change")
    listener.wait_disconnected()


@pytest.mark.parametrize("way", WAYS.values(), ids=WAYS.keys())
def test_a_passive_listener_loses_the_room_with_its_right(
    way, app, sio_server, cast, make_meeting, api_token, login, peers, connect
):
    group, people = cast
    invitees = [people[n] for n in ("chair", "bob", "ann")] if way.tlp == "TLP:RED" else ()
    meeting = make_meeting(group, by=people["chair"], tlp=way.tlp, invitees=invitees)
    chair_token = api_token(people["chair"])
    chair = peers(sio_server, token=chair_token)
    bob = connect(sio_server, "bob")
    scene = Scene(app, sio_server, group, meeting, people, chair, bob, chair_token, login)
    assert chair.join(meeting)["ok"] and bob.join(meeting)["ok"]

    # Ann's browser: the session her listener uses, when it listens with one.
    browser = scene.signed_in("ann")
    if way.listens_with == "session":
        listener = peers(sio_server, cookie=session_cookie(browser))
        browser = scene.signed_in("ann")  # a second browser, to act from
    else:
        scene.listening = api_token(people["ann"])
        listener = peers(sio_server, token=scene.listening)
    joined = listener.join(meeting)
    assert joined["ok"], joined
    survivor = None
    if way.survivor == "token":
        survivor = connect(sio_server, "ann")
    elif way.survivor == "session":
        survivor = peers(sio_server, cookie=session_cookie(browser))
    if survivor is not None:
        assert survivor.join(meeting)["ok"]

    # Before the change the listener hears everything.
    assert bob.call("chat", {"text": "before the change"})["ok"]
    assert chair.call("minutes", {"text": "minutes before the change"})["ok"]
    listener.wait_for("chat", lambda m: m["text"] == "before the change")
    listener.wait_for("minutes", lambda m: m["text"] == "minutes before the change")

    way.change(scene, browser)

    assert_hears_nothing_more(scene, listener, survivor)
    chair.wait_for("presence", lambda d: people["ann"].name not in _names(d, survivor))


def _names(presence: dict, survivor: Peer | None) -> set[str]:
    """Names in the room, leaving out the survivor (Ann, still rightly there)."""
    return {
        p["name"] for p in presence["participants"] if survivor is None or p["id"] != survivor.you
    }


def test_a_demoted_coordinator_stops_hearing_the_lobby(
    app, sio_server, make_user, make_group, make_meeting, api_token, login, peers
):
    people = {
        "chair": make_user(name="Chair Amman", country="JO"),
        "demoted": make_user(name="Dana Demoted", country="BE"),
        "ann": make_user(name="Ann Nairobi", country="KE"),
        "bob": make_user(name="Bob Tunis", country="TN"),
    }
    group = make_group(
        members={
            people["chair"]: "coordinator",
            people["demoted"]: "coordinator",
            people["ann"]: "member",
            people["bob"]: "member",
        }
    )
    meeting = make_meeting(group, by=people["chair"], locked=True)
    chair = peers(sio_server, token=api_token(people["chair"]))
    demoted = peers(sio_server, token=api_token(people["demoted"]))
    assert chair.join(meeting)["ok"] and demoted.join(meeting)["ok"]

    ann = peers(sio_server, token=api_token(people["ann"]))
    assert ann.join(meeting)["waiting"]
    demoted.wait_for("lobby", lambda d: [p["name"] for p in d["waiting"]] == ["Ann Nairobi"])

    browser = app.test_client()
    login(browser, people["chair"])
    with app.app_context():
        from emisa.groups.models import Membership

        membership = db.session.scalar(
            select(Membership.id).filter_by(group_id=group, user_id=people["demoted"].id)
        )
    url = f"/groups/{group}/members/{membership}/role"
    _sent(post_form(browser, url, {"role": "member"}, page=f"/groups/{group}"))

    bob = peers(sio_server, token=api_token(people["bob"]))
    assert bob.join(meeting)["waiting"]
    chair.wait_for("lobby", lambda d: "Bob Tunis" in {p["name"] for p in d["waiting"]})
    time.sleep(0.3)
    assert all(
        "Bob Tunis" not in {p["name"] for p in d["waiting"]} for d in demoted.received("lobby")
    )
    # Still a member: she stays in the room and hears it, but chairs nothing.
    assert demoted.connected
    assert chair.call("chat", {"text": "still with us"})["ok"]
    demoted.wait_for("chat", lambda m: m["text"] == "still with us")
    refused = demoted.call("admit", {"participant": bob.you})
    assert refused["ok"] is False


def _expire_account_soon(app, people) -> None:
    """The clock reaches the account's expiry date (set a few seconds ahead)."""
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.timeutil import utcnow

    with app.app_context():
        db.session.get(User, people["ann"].id).expires_at = utcnow() + timedelta(seconds=3)
        commit()


def _short_token_lifetime(app, _people) -> None:
    app.config["EMISA_TOKEN_TTL"] = timedelta(seconds=3)


def _short_session_lifetime(app, _people) -> None:
    app.config["EMISA_SESSION_TTL"] = timedelta(seconds=5)


LIFETIMES = {
    "the account's expiry date passes": (_expire_account_soon, "token"),
    "the API token's lifetime ends": (_short_token_lifetime, "token"),
    "the browser session's lifetime ends": (_short_session_lifetime, "session"),
}


@pytest.mark.parametrize("setup, listens_with", LIFETIMES.values(), ids=LIFETIMES.keys())
def test_a_passive_listener_is_cut_off_when_its_time_is_up(
    setup, listens_with, app, sio_server, cast, make_meeting, api_token, login, peers, connect
):
    group, people = cast
    app.config["EMISA_MEETING_RECHECK_SECONDS"] = 0.5
    meeting = make_meeting(group, by=people["chair"])
    chair_token = api_token(people["chair"])
    chair = peers(sio_server, token=chair_token)
    bob = connect(sio_server, "bob")
    assert chair.join(meeting)["ok"] and bob.join(meeting)["ok"]
    scene = Scene(app, sio_server, group, meeting, people, chair, bob, chair_token, login)

    setup(app, people)
    if listens_with == "session":
        listener = peers(sio_server, cookie=session_cookie(scene.signed_in("ann")))
    else:
        listener = connect(sio_server, "ann")
    joined = listener.join(meeting)
    assert joined["ok"], joined
    assert bob.call("chat", {"text": "before the change"})["ok"]
    listener.wait_for("chat", lambda m: m["text"] == "before the change")

    assert_hears_nothing_more(scene, listener, None)
