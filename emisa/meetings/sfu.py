"""Meeting media through Janus's VideoRoom (an SFU), driven by the platform alone.

The browser negotiates through the ``/meetings`` namespace, where each event
is checked by the access policy; this module relays the SDP and ICE to Janus
and translates Janus's answers back. What reaches a browser names
participants and its own peer connections' mids, never a Janus session,
handle, room, feed id, secret, pin or token.

Each meeting has one private room, created when first needed and destroyed
when the meeting ends. Its id, secret and pin are derived from the platform's
secret key with HMAC, so every server process computes them and no browser
can. The room admits publishers only with a token on its ``allowed`` list
(one per participant and stream, derived the same way and added only for
those the policy lets publish): Janus itself refuses an observer, or anyone
without the platform's say, who tries to publish. Subscribing needs the pin.

A publisher's display name in Janus carries, for the platform's eyes only,
which participant and stream it is and the mid of its audio, so any process
can find, kick or mute a participant with the room's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from emisa.i18n import N_
from emisa.meetings.janus import NO_SUCH_ROOM, ROOM_EXISTS, Janus, JanusError, Session
from emisa.operations import OperationError

log = logging.getLogger(__name__)

KINDS = ("camera", "screen")
# Simulcast layers the subscriber picks from (0 smallest); 2 is the full resolution.
SUBSTREAMS = (0, 1, 2)
SDP_MAX = 64 * 1024
MID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
UNAVAILABLE = N_("The media server is not answering; audio and video are unavailable for now.")


@dataclass(frozen=True)
class Room:
    """The Janus room of one meeting, with the credentials only the platform holds."""

    id: int
    secret: str
    pin: str


def enabled() -> bool:
    return bool(current_app.config.get("EMISA_JANUS_URL"))


_CLIENTS: dict[tuple, Janus] = {}


def janus() -> Janus:
    config = current_app.config
    key = (
        config["EMISA_JANUS_URL"],
        config["EMISA_JANUS_API_SECRET"],
        config["EMISA_JANUS_ADMIN_KEY"],
    )
    if key not in _CLIENTS:
        _CLIENTS[key] = Janus(*key)
    return _CLIENTS[key]


def _derive(purpose: str) -> bytes:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"emisa-janus:{purpose}".encode(), hashlib.sha256).digest()


def room_of(meeting_id: int) -> Room:
    # Room ids are 53-bit so they stay exact in any JSON parser.
    number = int.from_bytes(_derive(f"room:{meeting_id}")[:7], "big") >> 3
    return Room(
        id=number or 1,
        secret=_derive(f"secret:{meeting_id}").hex(),
        pin=_derive(f"pin:{meeting_id}").hex()[:32],
    )


def publish_token(meeting_id: int, participant_id: str, kind: str) -> str:
    return _derive(f"token:{meeting_id}:{participant_id}:{kind}").hex()


def ensure_room(meeting_id: int) -> Room:
    room = room_of(meeting_id)
    try:
        janus().control(
            {
                "request": "create",
                "room": room.id,
                "permanent": False,
                "description": f"EMISA meeting {meeting_id}",
                "secret": room.secret,
                "pin": room.pin,
                "is_private": True,
                "allowed": [],  # publishing needs a token the platform adds
                "publishers": 200,
                "videocodec": "vp8",
                "audiocodec": "opus",
                "opus_dtx": True,  # see _with_dtx
                "bitrate": 1_500_000,
                "fir_freq": 10,
                "audiolevel_event": True,
                "audio_active_packets": 50,
                "audio_level_average": 40,
                "notify_joining": False,
            }
        )
    except JanusError as failure:
        if failure.code != ROOM_EXISTS:
            raise
    return room


def destroy_room(meeting_id: int) -> None:
    """The meeting ended: Janus closes every peer connection of its room."""
    if not enabled():
        return
    try:
        as_owner(room_of(meeting_id), "destroy")
    except JanusError as failure:
        if failure.code != NO_SUCH_ROOM:
            log.warning("could not destroy the Janus room of meeting %s: %s", meeting_id, failure)


def as_owner(room: Room, request: str, **fields) -> dict:
    """A request only the room's owner may make: it carries the room's secret."""
    return janus().control({"request": request, "room": room.id, "secret": room.secret, **fields})


def _display(participant_id: str, kind: str, audio_mid: str | None) -> str:
    return json.dumps({"p": participant_id, "k": kind, "a": audio_mid}, separators=(",", ":"))


def _read_display(text: str | None) -> dict:
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def publishers(meeting_id: int, *, live: bool = True) -> list[dict]:
    """The publishers of a meeting's room, ``{"id", "participant", "kind", "audio_mid",
    "talking"}``:
    those sending media, or with ``live`` False also those still negotiating."""
    room = room_of(meeting_id)
    try:
        answer = janus().control({"request": "listparticipants", "room": room.id})
    except JanusError as failure:
        if failure.code == NO_SUCH_ROOM:
            return []
        raise
    found = []
    for entry in answer.get("participants", []):
        display = _read_display(entry.get("display"))
        if (entry.get("publisher") or not live) and display.get("k") in KINDS:
            found.append(
                {
                    "id": entry["id"],
                    "participant": display.get("p"),
                    "kind": display["k"],
                    "audio_mid": display.get("a"),
                    "talking": bool(entry.get("talking")),
                }
            )
    return found


def feeds(meeting_id: int) -> list[dict]:
    """What the browser may subscribe to: each live stream's participant and kind, and
    whether they are talking (a newcomer learns who speaks before the next change)."""
    return [
        {"participant": p["participant"], "kind": p["kind"], "talking": p["talking"]}
        for p in publishers(meeting_id)
    ]


def kick(meeting_id: int, participant_id: str) -> None:
    """Take a participant's streams out of the room at once and stop them publishing again."""
    if not enabled():
        return
    room = room_of(meeting_id)
    try:
        tokens = [publish_token(meeting_id, participant_id, kind) for kind in KINDS]
        as_owner(room, "allowed", action="remove", allowed=tokens)
        for publisher in publishers(meeting_id, live=False):
            if publisher["participant"] == participant_id:
                as_owner(room, "kick", id=publisher["id"])
    except JanusError as failure:
        if failure.code != NO_SUCH_ROOM:
            log.warning(
                "could not kick %s from meeting %s: %s", participant_id, meeting_id, failure
            )


def moderate(meeting_id: int, participant_ids: set[str] | None, mute: bool) -> list[str]:
    """Mute (or release) the microphone of these participants (None: everyone) on the SFU.

    Returns the participants whose audio was moderated."""
    if not enabled():
        return []
    room = room_of(meeting_id)
    done = []
    for publisher in publishers(meeting_id, live=False):
        wanted = participant_ids is None or publisher["participant"] in participant_ids
        if not wanted or publisher["kind"] != "camera" or not publisher["audio_mid"]:
            continue
        try:
            as_owner(room, "moderate", id=publisher["id"], mid=publisher["audio_mid"], mute=mute)
            done.append(publisher["participant"])
        except JanusError as failure:
            log.warning("could not moderate %s: %s", publisher["participant"], failure)
    return done


# One connection's media: its Janus session, publisher handles and its subscription.


@dataclass
class Link:
    sid: str
    meeting_id: int
    participant_id: str
    server: object  # the Socket.IO server, to tell this connection what Janus says
    namespace: str
    session: Session | None = None
    publishing: dict[str, int] = field(default_factory=dict)  # kind -> handle
    publisher_ids: dict[str, int] = field(default_factory=dict)  # kind -> id in the room
    subscriber: int = 0
    subscribed: set[int] = field(default_factory=set)  # publisher ids received
    lock: threading.RLock = field(default_factory=threading.RLock)

    def tell(self, event: str, data: dict, to: str | None = None) -> None:
        self.server.emit(event, data, to=to or self.sid, namespace=self.namespace)


_LINKS: dict[str, Link] = {}
_LINKS_LOCK = threading.Lock()


def link_for(sid: str, meeting_id: int, participant_id: str, server, namespace: str) -> Link:
    """This connection's media link in its current stay; a new stay starts a new link."""
    with _LINKS_LOCK:
        link = _LINKS.get(sid)
        if link is not None and link.participant_id != participant_id:
            _LINKS.pop(sid)
            _close(link)
            link = None
        if link is None:
            link = Link(sid, meeting_id, participant_id, server, namespace)
            _LINKS[sid] = link
        return link


def release(sid: str) -> None:
    """The connection left or closed: its streams leave the room, its peer connections close."""
    with _LINKS_LOCK:
        link = _LINKS.pop(sid, None)
    if link is not None:
        _close(link)


def _close(link: Link) -> None:
    with link.lock:
        session, link.session = link.session, None
        kinds = list(link.publishing)
        link.publishing.clear()
    for kind in kinds:
        _announce(link, kind, active=False)
    if session is not None:
        session.destroy()


def _session(link: Link) -> Session:
    if link.session is None or link.session.closed:
        link.session = janus().session(on_gone=lambda: _gone(link))
        link.session.listen()
        link.publishing.clear()
        link.subscriber = 0
        link.subscribed.clear()
    return link.session


def _gone(link: Link) -> None:
    """Janus lost the session (restarted, timed out): the browser starts again."""
    link.tell("media_reset", {"message": _(UNAVAILABLE)})


def _announce(link: Link, kind: str, *, active: bool) -> None:
    data = {"participant": link.participant_id, "kind": kind, "active": active}
    link.tell("media_feed", data, to=f"meeting:{link.meeting_id}")


def _checked_jsep(jsep, expected: str) -> dict:
    if (
        not isinstance(jsep, dict)
        or jsep.get("type") != expected
        or not isinstance(jsep.get("sdp"), str)
        or len(jsep["sdp"]) > SDP_MAX
    ):
        raise OperationError(_("Send a WebRTC %(expected)s (type and sdp).", expected=expected))
    return {"type": expected, "sdp": jsep["sdp"]}


_SESSION_NAME = re.compile(r"^s=[^\r\n]*", re.MULTILINE)


def _for_browser(jsep: dict) -> dict:
    """Janus's SDP without the room id it writes in the session name ("s=VideoRoom <id>")."""
    return {"type": jsep["type"], "sdp": _SESSION_NAME.sub("s=-", jsep["sdp"], count=1)}


def _audio_mid(sdp: str) -> str | None:
    """The mid of the first audio section of an offer (what moderation mutes)."""
    kind = None
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split(" ", 1)[0]
        elif line.startswith("a=mid:") and kind == "audio":
            return line[6:].strip()
    return None


_OPUS = re.compile(r"^a=rtpmap:(\d+) opus/", re.MULTILINE | re.IGNORECASE)


def _with_dtx(sdp: str) -> str:
    """The offer with Opus DTX asked for on its audio (``usedtx=1`` on Opus's fmtp line,
    which browsers always write). Janus answers DTX only to an offer that asks for it (and,
    from 1.3.1, only in a room created with ``opus_dtx``), and the browser's encoder follows
    the answer: a muted or silent microphone then sends a packet now and then instead of
    one every 20 ms, and Janus forwards only those (measured in bench.sfu and
    docs/performance.md). Most of a large meeting listens."""
    for payload in set(_OPUS.findall(sdp)):
        fmtp = re.compile(rf"^(a=fmtp:{payload} )([^\r\n]*)", re.MULTILINE)
        sdp = fmtp.sub(lambda line: line[1] + _dtx_parameters(line[2]), sdp)
    return sdp


def _dtx_parameters(parameters: str) -> str:
    kept = [p for p in parameters.split(";") if p and not p.strip().startswith("usedtx=")]
    return ";".join([*kept, "usedtx=1"])


def publish(link: Link, kind: str, jsep) -> dict:
    """Join the room as a publisher with this connection's token and the browser's offer."""
    if kind not in KINDS:
        raise OperationError(_("Publish a camera or a screen."))
    offer = _checked_jsep(jsep, "offer")
    room = ensure_room(link.meeting_id)
    token = publish_token(link.meeting_id, link.participant_id, kind)
    as_owner(room, "allowed", action="add", allowed=[token])
    with link.lock:
        session = _session(link)
        if kind in link.publishing:
            session.detach(link.publishing.pop(kind))
        handle = session.attach(lambda event, jsep: _publisher_event(link, kind, event))
        link.publishing[kind] = handle
        body = {
            "request": "joinandconfigure",
            "ptype": "publisher",
            "room": room.id,
            "pin": room.pin,
            "token": token,
            "display": _display(link.participant_id, kind, _audio_mid(offer["sdp"])),
            "audio": kind == "camera",
            "video": True,
        }
        data, answer = session.send(handle, body, {**offer, "sdp": _with_dtx(offer["sdp"])})
        link.publisher_ids[kind] = data.get("id")
    if not answer:
        raise OperationError(_("The media server did not accept this offer."))
    return _for_browser(answer)


def unpublish(link: Link, kind: str) -> None:
    with link.lock:
        handle = link.publishing.pop(kind, None)
        if handle is not None and link.session is not None:
            link.session.detach(handle)
    if handle is not None:
        _announce(link, kind, active=False)


def _publisher_event(link: Link, kind: str, event: dict) -> None:
    what = event.get("janus")
    if what == "webrtcup":
        _announce(link, kind, active=True)
    elif what == "hangup":
        with link.lock:
            link.publishing.pop(kind, None)
        _announce(link, kind, active=False)
        link.tell("media_closed", {"pc": kind})
    elif what == "event":
        data = (event.get("plugindata") or {}).get("data") or {}
        # Every publisher hears of everyone talking; only the speaker's own connection tells.
        own = kind == "camera" and data.get("id") == link.publisher_ids.get("camera")
        if own and data.get("videoroom") in ("talking", "stopped-talking"):
            link.tell(
                "media_talking",
                {"participant": link.participant_id, "talking": data["videoroom"] == "talking"},
                to=f"meeting:{link.meeting_id}",
            )


def subscribe(link: Link, wanted: list[tuple[str, str]]) -> None:
    """Receive these (participant, kind) streams; Janus's offer reaches the browser as
    ``media_offer``. The platform only ever names publishers of this meeting's own room."""
    live = {(p["participant"], p["kind"]): p["id"] for p in publishers(link.meeting_id)}
    with link.lock:
        fresh = {live[key] for key in wanted if key in live} - link.subscribed
        if not fresh:
            return
        streams = [{"feed": feed} for feed in sorted(fresh)]
        session = _session(link)
        room = room_of(link.meeting_id)
        if not link.subscriber:
            link.subscriber = session.attach(lambda event, jsep: _subscriber_event(link, event))
            body = {
                "request": "join",
                "ptype": "subscriber",
                "room": room.id,
                "pin": room.pin,
                "streams": streams,
            }
        else:
            body = {"request": "subscribe", "streams": streams}
        link.subscribed.update(fresh)
        try:
            data, offer = session.send(link.subscriber, body)
        except JanusError:
            link.subscribed.difference_update(fresh)
            raise
    _offer_to_browser(link, data, offer)


def unsubscribe(link: Link, gone: list[tuple[str, str]]) -> None:
    live = {(p["participant"], p["kind"]): p["id"] for p in publishers(link.meeting_id)}
    with link.lock:
        present = {live[key] for key in gone if key in live} & link.subscribed
        link.subscribed.difference_update(present)
        streams = [{"feed": feed} for feed in sorted(present)]
        if not streams or not link.subscriber or link.session is None:
            return
        data, offer = link.session.send(
            link.subscriber, {"request": "unsubscribe", "streams": streams}
        )
    _offer_to_browser(link, data, offer)


def answer(link: Link, jsep) -> None:
    """The browser's answer to Janus's subscription offer."""
    answer_jsep = _checked_jsep(jsep, "answer")
    with link.lock:
        if not link.subscriber or link.session is None:
            raise OperationError(_("Subscribe to someone first."))
        link.session.send(link.subscriber, {"request": "start"}, answer_jsep)


def configure(link: Link, mid, *, video: bool, substream) -> None:
    """Forward a subscribed video or not (tiles out of view) and pick its simulcast layer."""
    if not isinstance(mid, str) or not MID_PATTERN.match(mid):
        raise OperationError(_("Name one of your subscription's streams."))
    stream: dict = {"mid": mid, "send": bool(video)}
    if substream in SUBSTREAMS:
        stream["substream"] = substream
    with link.lock:
        if not link.subscriber or link.session is None:
            raise OperationError(_("Subscribe to someone first."))
        link.session.send(link.subscriber, {"request": "configure", "streams": [stream]})


def trickle(link: Link, pc, candidate) -> None:
    """An ICE candidate of one of the browser's peer connections (None: gathering done)."""
    if candidate is not None and (
        not isinstance(candidate, dict)
        or not isinstance(candidate.get("candidate"), str)
        or len(candidate["candidate"]) > 1024
    ):
        raise OperationError(_("A candidate is an object with a candidate line."))
    with link.lock:
        handle = link.subscriber if pc == "subscriber" else link.publishing.get(pc)
        if not handle or link.session is None:
            raise OperationError(_("That peer connection is not set up."))
        session = link.session
    if candidate is not None:
        candidate = {
            "candidate": candidate["candidate"],
            "sdpMid": str(candidate.get("sdpMid") or "")[:16] or None,
            "sdpMLineIndex": candidate.get("sdpMLineIndex")
            if isinstance(candidate.get("sdpMLineIndex"), int)
            else None,
        }
    session.trickle(handle, candidate)


def own_audio(link: Link, mute: bool) -> None:
    """The participant unmutes (or mutes) themselves: lift (or set) their SFU moderation."""
    moderate(link.meeting_id, {link.participant_id}, mute)


def _subscriber_event(link: Link, event: dict) -> None:
    what = event.get("janus")
    if what == "event":
        data = (event.get("plugindata") or {}).get("data") or {}
        _offer_to_browser(link, data, event.get("jsep"))
    elif what == "hangup":
        with link.lock:
            link.subscriber = 0
            link.subscribed.clear()
        link.tell("media_closed", {"pc": "subscriber"})


def _offer_to_browser(link: Link, data: dict, jsep: dict | None) -> None:
    if not jsep or jsep.get("type") != "offer":
        return
    streams = []
    for stream in data.get("streams") or []:
        display = _read_display(stream.get("feed_display"))
        streams.append(
            {
                "mid": stream.get("mid"),
                "type": stream.get("type"),
                "participant": display.get("p"),
                "kind": display.get("k"),
                "active": bool(stream.get("active", True)) and "feed_id" in stream,
            }
        )
    link.tell("media_offer", {"jsep": _for_browser(jsep), "streams": streams})
