"""Four real Chromium pages (fake camera, microphone and screen) meet through a real Janus."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.meetings.conftest import drop_keeping_chat_and_hand, enter_room

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("sfu_config")]

MEDIA_TIMEOUT = 90_000

# Frames decoded per remote tile, from getStats (the page writes them on its tiles).
FRAMES = """() => Object.fromEntries([...document.querySelectorAll(
  '.tile[data-participant][data-kind=KIND]')].map(t => [t.dataset.participant,
  Number(t.dataset.framesDecoded || 0)]))"""


def frames(page, kind: str = "camera") -> dict[str, int]:
    return page.evaluate(FRAMES.replace("KIND", kind))


TILES = """() => [...document.querySelectorAll('.tile[data-participant]')].map(t =>
  [t.dataset.participant, t.dataset.kind, t.parentNode.id, t.hidden, t.dataset.framesDecoded,
   t.querySelector('video').paused])"""


# Notes when the last tile of a participant leaves the page.
WATCH_GONE = """(participant) => {
  const selector = `.tile[data-participant='${participant}']`;
  new MutationObserver((_, observer) => {
    if (!document.querySelector(selector)) {
      window.goneAt = Date.now();
      observer.disconnect();
    }
  }).observe(document.getElementById("room"), { childList: true, subtree: true });
}"""


# Every peer connection a page opens and every warning it logs, for a failure to show.
RECORD_PEER_CONNECTIONS = """window.peerConnections = [];
window.RTCPeerConnection = class extends RTCPeerConnection {
  constructor(...args) { super(...args); window.peerConnections.push(this); }
};
window.warnings = [];
const warn = console.warn.bind(console);
console.warn = (...args) => { window.warnings.push(args.map(String).join(" ")); warn(...args); };"""

# What this page receives: each transceiver's mid, direction and packets arrived for it.
RECEIVED = """async () => ({ warnings: window.warnings, received: await Promise.all(
  window.peerConnections.filter((pc) => pc.getReceivers().length).map(async (pc) => {
    const inbound = [...(await pc.getStats()).values()].filter((r) => r.type === "inbound-rtp");
    return [pc.connectionState, pc.signalingState, pc.getTransceivers().map((t) => {
      const r = inbound.find((s) => s.trackIdentifier === t.receiver.track.id);
      return [t.mid, t.currentDirection, t.receiver.track.kind, r ? r.packetsReceived : null];
    })];
  })) })"""

# What each simulcast layer this page sends is doing, and what limits it.
LAYERS = """async () => (await Promise.all(window.peerConnections.map(async (pc) =>
  [...(await pc.getStats()).values()].filter((r) => r.type === "outbound-rtp")
    .map((r) => [r.kind, r.rid, r.frameWidth, r.framesEncoded, r.qualityLimitationReason]))))
  .flat()"""

# The page's camera goes out in three simulcast layers, each encoding frames.
THREE_LAYERS = """async () => new Set([].concat(...await Promise.all(window.peerConnections.map(
  async (pc) => [...(await pc.getStats()).values()].filter((r) => r.type === "outbound-rtp"
    && r.kind === "video" && r.rid && r.framesEncoded > 0).map((r) => r.rid))))).size === 3"""

# Each video's received width against its tile's width, stage first.
WIDTHS = """() => [...document.querySelectorAll('#stage .tile.camera, #gallery .tile.camera')]
  .filter((t) => !t.hidden).map((t) => [t.parentNode.id, t.clientWidth,
  t.querySelector('video').videoWidth])"""


def wait_layers_by_size(page) -> None:
    """The stage receives a larger simulcast layer than every gallery tile."""
    try:
        page.wait_for_function(
            f"() => {{ const [stage, ...gallery] = ({WIDTHS})();"
            " return stage && stage[0] === 'stage' && gallery.length"
            " && gallery.every(([, , width]) => width > 0 && width < stage[2]); }",
            timeout=MEDIA_TIMEOUT,
        )
    except PlaywrightTimeout:
        raise AssertionError(f"layers do not follow tile sizes: {page.evaluate(WIDTHS)}") from None


# Notes when the chair's confirmation returns to the page.
NOTE_CONFIRMED = """() => {
  const ask = window.confirm.bind(window);
  window.confirm = (message) => {
    const answer = ask(message);
    window.confirmedAt = Date.now();
    return answer;
  };
}"""


def wait_decoding(page, count: int, kind: str = "camera", senders=()) -> dict[str, int]:
    """Wait until ``count`` remote streams of ``kind`` decode frames, then see them rise."""
    try:
        return _wait_decoding(page, count, kind)
    except PlaywrightTimeout:
        sent = [sender.evaluate(LAYERS) for sender in senders]
        raise AssertionError(
            f"tiles not decoding: {page.evaluate(TILES)}; received: {page.evaluate(RECEIVED)}"
            f"; sent: {sent}"
        ) from None


def _wait_decoding(page, count: int, kind: str) -> dict[str, int]:
    page.wait_for_function(
        f"() => {{ const f = ({FRAMES.replace('KIND', kind)})();"
        f" const v = Object.values(f); return v.length === {count} && v.every(n => n > 0); }}",
        timeout=MEDIA_TIMEOUT,
    )
    before = frames(page, kind)
    page.wait_for_function(
        f"(before) => {{ const f = ({FRAMES.replace('KIND', kind)})();"
        " return Object.keys(before).every(k => f[k] > before[k]); }",
        arg=before,
        timeout=MEDIA_TIMEOUT,
    )
    return before


def enter(page, base: str, persona, app, meeting: int, *, media: bool = True) -> None:
    enter_room(page, base, persona, app, meeting)
    if media:
        page.click("#btn-media")
        page.wait_for_selector("#btn-mic:not([disabled])")
        # A started camera is not offered again.
        assert page.is_hidden("#btn-media")


def participant_id(page, name: str) -> str:
    return page.get_attribute(f"#people li:has-text('{name}')", "data-participant")


NAMES = ["Chair Amman", "Ann Nairobi", "Bob Tunis", "Cem Ankara"]


def plenary(make_user, make_group, make_meeting) -> tuple[list, int]:
    """Four people of one group (a coordinator and three members) and their open meeting."""
    people = [
        make_user(name=n, country=c) for n, c in zip(NAMES, ["JO", "KE", "TN", "TR"], strict=True)
    ]
    group = make_group(members={people[0]: "coordinator", **{p: "member" for p in people[1:]}})
    return people, make_meeting(group, by=people[0], title="Plenary")


def recorded_pages(contexts) -> list:
    """One page per context, each recording its peer connections and warnings."""
    for context in contexts:
        context.add_init_script(RECORD_PEER_CONNECTIONS)
    return [context.new_page() for context in contexts]


@pytest.mark.media_load
def test_four_participants_through_the_sfu(
    app, sfu_live_server, speaking_browser, make_user, make_group, make_meeting
):
    people, meeting = plenary(make_user, make_group, make_meeting)
    contexts = [speaking_browser.new_context() for _ in people]
    pages = recorded_pages(contexts)
    try:
        for page, person in zip(pages, people, strict=True):
            enter(page, sfu_live_server, person, app, meeting)
        chair, ann, bob, cem = pages

        # Each page decodes the three others' cameras, received through the SFU.
        for page in pages:
            wait_decoding(page, 3, senders=pages)
        for page in pages:
            page.wait_for_function(THREE_LAYERS, timeout=MEDIA_TIMEOUT)
            page.wait_for_selector("#room[data-camera-state=connected]")
            page.wait_for_selector("#room[data-subscriber-state=connected]")

        # Janus's audio levels name an active speaker, shown large on the stage.
        for page in pages:
            page.wait_for_selector("#stage .tile.camera.talking", timeout=MEDIA_TIMEOUT)
        # The stage receives a larger simulcast layer than the gallery's tiles.
        for page in pages:
            wait_layers_by_size(page)

        # Tiles name their person, isolated, with their country, and show how video arrives.
        ann_id = participant_id(cem, "Ann Nairobi")
        ann_tile = f".tile.camera[data-participant='{ann_id}']"
        assert cem.text_content(f"{ann_tile} .who bdi") == "Ann Nairobi"
        assert cem.text_content(f"{ann_tile} .who").endswith(" · KE")
        assert cem.get_attribute(ann_tile, "data-quality") in ("good", "fair", "poor")

        # Ann shares her screen: it reaches the others as its own stream, shown on the stage.
        ann.click("#btn-screen")
        for page in (chair, bob, cem):
            page.wait_for_selector("#stage .tile.screen", timeout=MEDIA_TIMEOUT)
            wait_decoding(page, 1, "screen", senders=[ann])

        # "Mute everyone": each microphone goes off, enforced on the SFU, shown on the tiles.
        chair.click("#btn-mute-all")
        for page in (ann, bob, cem):
            page.wait_for_selector("#btn-mic:has-text('Unmute')")
        cem.wait_for_selector(f"{ann_tile} .badge.muted")
        ann.click("#btn-mic")
        cem.wait_for_selector(f"{ann_tile} .badge.muted", state="detached")

        # The chair removes Bob: his tiles leave every page within two seconds and his own
        # page says so, with its peer connections closed and its controls disabled.
        bob_id = participant_id(chair, "Bob Tunis")
        for page in (chair, ann, cem):
            page.evaluate(WATCH_GONE, bob_id)
        chair.evaluate(NOTE_CONFIRMED)
        chair.once("dialog", lambda dialog: dialog.accept())
        chair.click(f"#people li[data-participant='{bob_id}'] button.danger")
        # Timed by the pages' own clocks (one machine, one clock), from the moment the chair's
        # confirmation returns to the page noting the tiles gone, not by the test's polling
        # nor its round trips to the browser.
        chair.wait_for_function("() => window.confirmedAt", timeout=30_000)
        confirmed = chair.evaluate("() => window.confirmedAt")
        for page in (chair, ann, cem):
            page.wait_for_function("() => window.goneAt", timeout=30_000)
            assert page.evaluate("() => window.goneAt") - confirmed < 2000
        bob.wait_for_selector("#ended:not([hidden])")
        assert "removed you" in bob.text_content("#ended-title")
        assert bob.get_attribute("#room", "data-camera-state") == "closed"
        assert bob.get_attribute("#room", "data-subscriber-state") == "closed"
        assert bob.is_disabled("#chat-text") and bob.is_disabled("#btn-hand")
        # The three who stay keep receiving each other.
        for page in (chair, ann, cem):
            wait_decoding(page, 2, senders=(chair, ann, cem))
    finally:
        for context in contexts:
            context.close()


# The observer's own browser tries to publish anyway, with a real offer of its fake camera,
# on a second connection of its signed-in session.
OBSERVER_PUBLISHES = """(meetingId) => new Promise((resolve) => {
  const socket = io("/meetings");
  socket.on("connect", () => socket.emit("join", { meeting_id: meetingId }, async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const pc = new RTCPeerConnection();
    stream.getTracks().forEach((track) => pc.addTrack(track, stream));
    const offer = await pc.createOffer();
    socket.emit("media_publish", { kind: "camera", jsep: { type: offer.type, sdp: offer.sdp } },
      (answer) => { pc.close(); socket.disconnect(); resolve(answer); });
  }));
})"""


def test_observer_receives_but_cannot_publish(
    app, sfu_live_server, browser, page, make_user, make_group, make_meeting
):
    chair, olga = make_user(name="Chair Amman"), make_user(name="Olga Observer")
    group = make_group(members={chair: "coordinator", olga: "observer"})
    meeting = make_meeting(group, by=chair)
    observer_context = browser.new_context()
    observer = observer_context.new_page()
    try:
        enter(page, sfu_live_server, chair, app, meeting)
        enter(observer, sfu_live_server, olga, app, meeting, media=False)
        assert observer.is_visible("#observer-note")
        for control in ("#btn-media", "#btn-mic", "#btn-cam", "#btn-screen"):
            assert observer.is_hidden(control)
        wait_decoding(observer, 1)

        answer = observer.evaluate(OBSERVER_PUBLISHES, meeting)
        assert answer == {
            "ok": False,
            "error": "Observers follow the meeting but do not send audio, video or a screen.",
        }
        page.wait_for_timeout(1000)
        assert page.query_selector(".tile[data-participant]") is None
    finally:
        observer_context.close()


# What arrives for one person's camera on this page: packets of its audio and video, and
# video frames decoded, from the receivers of the tracks shown on that person's tile.
ARRIVING = """async (participant) => {
  const figure = document.querySelector(`.tile.camera[data-participant='${participant}']`);
  const stream = figure && figure.querySelector("video").srcObject;
  const kinds = Object.fromEntries((stream ? stream.getTracks() : []).map((t) => [t.id, t.kind]));
  const seen = { audio: 0, video: 0, frames: 0, hidden: figure ? figure.hidden : null };
  for (const pc of window.peerConnections) {
    for (const r of (await pc.getStats()).values()) {
      if (r.type === "inbound-rtp" && kinds[r.trackIdentifier]) {
        seen[kinds[r.trackIdentifier]] = r.packetsReceived;
        if (r.kind === "video") seen.frames = r.framesDecoded || 0;
      }
    }
  }
  return seen;
}"""


def arriving(page, participant: str) -> dict:
    return page.evaluate(ARRIVING, participant)


def gallery_camera_ids(page, *, hidden: bool) -> list[str]:
    return page.evaluate(
        "(hidden) => [...document.querySelectorAll('#gallery .tile.camera[data-participant]')]"
        ".filter((t) => t.hidden === hidden).map((t) => t.dataset.participant)",
        hidden,
    )


def assert_video_paused_audio_flowing(page, participant: str) -> None:
    """Off this page's screen, a person's video stops arriving; their voice does not."""
    page.wait_for_timeout(1500)  # what Janus forwarded before it was told settles
    before = arriving(page, participant)
    page.wait_for_timeout(3000)
    after = arriving(page, participant)
    assert after["hidden"] is True, after
    assert after["video"] == before["video"], (before, after)
    assert after["audio"] > before["audio"], (before, after)


def wait_video_arriving(page, participant: str) -> None:
    before = arriving(page, participant)
    try:
        page.wait_for_function(
            f"async (args) => {{ const now = await ({ARRIVING})(args[0]);"
            " return now.hidden === false && now.frames > args[1].frames + 10; }",
            arg=[participant, before],
            timeout=MEDIA_TIMEOUT,
        )
    except PlaywrightTimeout:
        raise AssertionError(f"no video on the shown tile: {page.evaluate(TILES)}") from None


def janus_cameras(app, meeting_id: int) -> list[str]:
    """Whose cameras Janus holds in the meeting's room, negotiating or live."""
    from emisa.meetings import sfu

    with app.app_context():
        found = sfu.publishers(meeting_id, live=False)
    return [p["participant"] for p in found if p["kind"] == "camera"]


def wait_until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


@pytest.mark.media_load
def test_gallery_pages_and_a_dropped_connection_through_the_sfu(
    app, sfu_live_server, browser, make_user, make_group, make_meeting
):
    people, meeting = plenary(make_user, make_group, make_meeting)
    # Cem follows on a phone: its gallery holds two tiles a page, one fewer than the others.
    contexts = [browser.new_context() for _ in people[:3]]
    contexts.append(browser.new_context(viewport={"width": 390, "height": 844}))
    pages = recorded_pages(contexts)
    try:
        for page, person in zip(pages, people, strict=True):
            enter(page, sfu_live_server, person, app, meeting)
        chair, ann, bob, cem = pages
        for page in (chair, ann, bob):
            wait_decoding(page, 3, senders=pages)

        # On the phone, one of the three is on the second page of the gallery.
        cem.wait_for_selector("#pager:not([hidden])", timeout=MEDIA_TIMEOUT)
        assert cem.text_content("#page-of") == "1 / 2"
        assert cem.is_hidden("#stage"), "nobody speaks: no one is on the stage"
        shown, (off_page,) = (
            gallery_camera_ids(cem, hidden=False),
            gallery_camera_ids(cem, hidden=True),
        )
        assert len(shown) == 2
        for participant in shown:
            wait_video_arriving(cem, participant)
        # The hidden tile's video is not forwarded to this page at all; its voice is.
        assert_video_paused_audio_flowing(cem, off_page)

        # Paging to it shows it decoding; the tiles left behind stop receiving video.
        cem.click("#page-next")
        assert cem.text_content("#page-of") == "2 / 2"
        wait_video_arriving(cem, off_page)
        assert_video_paused_audio_flowing(cem, shown[0])

        # Ann's network drops with a chat line sent and her hand up, then comes back: both
        # are kept, for her and for the room.
        drop_keeping_chat_and_hand(ann, chair, "Ann Nairobi")
        # Her media comes back both ways: she decodes the three others, and the others
        # decode her again, on one tile each (her old stream gone from every page).
        wait_decoding(ann, 3, senders=pages)
        ann.wait_for_selector("#room[data-camera-state=connected]", timeout=MEDIA_TIMEOUT)
        for page in (chair, bob):
            wait_decoding(page, 3, senders=pages)
        ann_now = participant_id(chair, "Ann Nairobi")
        cem.wait_for_selector(f".tile.camera[data-participant='{ann_now}']", state="attached")
        assert cem.locator(".tile.camera[data-participant]").count() == 3
        # On Janus too, her old connection's streams are gone: one camera per person present.
        cameras = sorted(participant_id(chair, name) for name in NAMES)
        wait_until(lambda: sorted(janus_cameras(app, meeting)) == cameras)
    finally:
        for context in contexts:
            context.close()
