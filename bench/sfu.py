"""Meeting media through Janus (SFU) against a mesh, as the room grows.

    python -m bench.sfu [--sizes 6,12,25] [--video 25] [--talking 2] [--mesh-max 6]

Synthetic participants (bench/sfu.js) live in one headless Chromium page (Debian's chromium,
fake camera at a low resolution, one VP8 layer capped at the same bitrate in both modes).
The browser's fake microphone is silent (digital silence, as a muted microphone sends, or
white noise at ``--room-noise`` dBFS); the first ``--talking`` participants talk instead (a
voice-like signal that never pauses). Through the SFU each one joins the meeting with its
own API token over the platform's Socket.IO namespace, publishes its microphone (and its
camera, for the first ``--video``) through ``python app.py`` to a real Janus started from
config/janus/, and subscribes to everyone else, exactly as a browser does. The mesh
baseline, measured in the same run, sends each participant's streams on one peer connection
per other participant.

For each room size, after every participant receives what it should, counters are read from
getStats and /proc twice, ``--window`` seconds apart:
  - each client's upload (outbound-rtp bytesSent), mean over the clients sending video;
  - frames lost: 1 - frames decoded by all receivers / (frames encoded x receivers);
  - audio packets per second a talking and a silent publisher send (what Janus receives)
    and that each receiver gets from it (what Janus forwards): Opus DTX at work;
  - Janus's CPU (utime + stime of its process) per forwarded stream and per packet it
    handles (packets all publishers sent plus packets all subscribers received).
A size whose participants do not all receive within ``--settle`` seconds is reported as not
reached. Beyond the largest mesh measured, its upload is extrapolated as (N - 1) times the
upload per peer it measured, and said so.

Janus's cost of the target room (50 with audio, 25 of them with video) is extrapolated from
the CPU per packet handled at the largest size reached, twice: as rooms were (every
microphone at Opus's 50 packets/s, every video to everyone at the gallery's layer) and as
they are (silent microphones at the rate measured under DTX, each receiver getting the video
of the tiles it shows: the stage and one gallery page at a desktop size, read from
static/js/meeting/). Each publisher sends its three simulcast layers either way. The formula
is printed with its numbers. The machine is shared: the load average is printed with each row.

Bounded: a few fixed room sizes, a fixed measuring window and settling timeout. Not a test.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import shutil
import struct
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from bench.common import free_port, start_platform, stop
from bench.meetings import _prepare_platform
from tests.conftest import CHROMIUM_ARGS
from tests.meetings.janus_server import start_janus, stop_janus

SCRIPT = Path(__file__).with_suffix(".js")
MEETING_JS = Path(__file__).resolve().parents[1] / "static" / "js" / "meeting"
TICKS = os.sysconf("SC_CLK_TCK")
TARGET_AUDIO, TARGET_VIDEO = 50, 25
OPUS_PACKETS_PER_SECOND = 50  # 20 ms frames
RTP_PAYLOAD = 1200  # bytes of video in a full packet


@dataclass
class Row:
    mode: str
    size: int
    video: int
    upload_kbps: float = 0.0  # per client sending video (or per client, without video)
    frames_lost: float = 0.0  # fraction
    janus_cpu: float | None = None  # fraction of one core
    streams: int = 0  # forwarded (SFU) or sent (mesh) audio and video streams
    packets_per_second: float = 0.0  # received by all clients (what Janus forwards)
    packets_in: float = 0.0  # sent by all clients (what Janus receives), per second
    video_packets_per_stream: float = 0.0
    # Audio packets per second of one publisher: sent, and received by each other participant.
    talking_sent: float = 0.0
    talking_forwarded: float = 0.0
    silent_sent: float = 0.0
    silent_forwarded: float = 0.0
    load: str = ""
    arriving: float = 1.0  # share of the streams received after settling

    @property
    def reached(self) -> bool:
        return self.arriving >= 1

    @property
    def cpu_per_packet(self) -> float:
        """Janus's CPU seconds per packet it received or sent."""
        return self.janus_cpu / (self.packets_in + self.packets_per_second)


def janus_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def wait_receiving(page, mode: str, size: int, video: int, settle: float) -> float:
    """Wait until every participant receives every other's audio and the video of the video
    senders; the share of those streams arriving when it stopped waiting."""
    script = """([mode, size, video]) => window.bench.sample(mode).then((people) => {
      const expected = size * (size - 1) + video * (size - 1);
      const arriving = people.reduce((n, p) => n + p.received.audioStreams
        + p.received.videoStreams, 0);
      return arriving / expected; })"""
    deadline = time.monotonic() + settle
    while True:
        share = page.evaluate(script, [mode, size, video])
        if share >= 1 or time.monotonic() > deadline:
            return share
        page.wait_for_timeout(1000)


def measure(page, row: Row, window: float, janus_pid: int | None) -> Row:
    page.wait_for_timeout(5000)  # past the bandwidth estimator's ramp-up
    before, ticks, started = page.evaluate("m => window.bench.sample(m)", row.mode), 0, 0.0
    if janus_pid:
        ticks = janus_ticks(janus_pid)
    started = time.monotonic()
    page.wait_for_timeout(window * 1000)
    after = page.evaluate("m => window.bench.sample(m)", row.mode)
    seconds = time.monotonic() - started
    if janus_pid:
        row.janus_cpu = (janus_ticks(janus_pid) - ticks) / TICKS / seconds

    def delta(side: str, counter: str) -> list[float]:
        return [a[side][counter] - b[side][counter] for a, b in zip(after, before, strict=True)]

    # The clients sending video come first; the others send audio only.
    uploads = delta("sent", "bytes")[: row.video or row.size]
    row.upload_kbps = sum(uploads) / len(uploads) * 8 / 1000 / seconds
    # Through the SFU each frame encoded reaches every other participant; in a mesh each
    # peer connection encodes its own.
    receivers = row.size - 1 if row.mode == "sfu" else 1
    expected = sum(delta("sent", "frames")) * receivers
    row.frames_lost = max(0.0, 1 - sum(delta("received", "decoded")) / expected) if expected else 0
    row.packets_per_second = sum(delta("received", "packets")) / seconds
    row.packets_in = sum(delta("sent", "packets")) / seconds
    video_streams = row.video * (row.size - 1)
    row.video_packets_per_stream = sum(delta("received", "videoPackets")) / seconds / video_streams
    row.streams = row.size * (row.size - 1) + video_streams
    if row.mode == "sfu":
        audio_rates(row, before, after, seconds)
    row.load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return row


def audio_rates(row: Row, before: list, after: list, seconds: float) -> None:
    """Audio packets per second of a talking and of a silent publisher: sent by it, and
    received from it by each other participant."""
    talking = {person["you"]: person["talking"] for person in after}
    sent: dict[bool, list[float]] = {True: [], False: []}
    forwarded: dict[bool, list[float]] = {True: [], False: []}
    for old, new in zip(before, after, strict=True):
        sent[new["talking"]].append(new["sent"]["audioPackets"] - old["sent"]["audioPackets"])
        for source, packets in new["received"]["audioFrom"].items():
            earlier = old["received"]["audioFrom"].get(source, 0)
            forwarded[talking[source]].append(packets - earlier)

    def rate(counts: list[float]) -> float:
        return sum(counts) / len(counts) / seconds if counts else 0.0

    row.talking_sent, row.talking_forwarded = rate(sent[True]), rate(forwarded[True])
    row.silent_sent, row.silent_forwarded = rate(sent[False]), rate(forwarded[False])


def run_sfu(context, base: str, meeting_id: int, tokens, size, args, janus_pid) -> Row:
    video = min(size, args.video)
    row = Row("sfu", size, video)
    page = context.new_page()
    try:
        page.goto(base)
        page.add_script_tag(url=f"{base}/static/vendor/socket.io.min.js")
        page.add_script_tag(content=SCRIPT.read_text())
        capture = [args.width, args.height, args.fps]
        try:
            for n in range(size):
                page.evaluate(
                    "(a) => window.bench.joinSfuWithin(...a)",
                    [
                        args.settle * 1000,
                        tokens[n + 1],
                        meeting_id,
                        n < video,
                        n < args.talking,
                        *capture,
                    ],
                )
        except PlaywrightError as failure:  # a participant could not join in time
            print(f"participant {n + 1} of {size}: {failure.message}", flush=True)
            row.arriving = wait_receiving(page, "sfu", size, video, 0)
            return row
        row.arriving = wait_receiving(page, "sfu", size, video, args.settle)
        return measure(page, row, args.window, janus_pid) if row.reached else row
    finally:
        page.close()  # the sockets close: the platform releases every Janus session


def run_mesh(context, base: str, size: int, args) -> Row:
    video = min(size, args.video)
    row = Row("mesh", size, video)
    page = context.new_page()
    try:
        page.goto(base)
        page.add_script_tag(content=SCRIPT.read_text())
        page.evaluate(
            "([n, v, w, h, f]) => window.bench.joinMesh(n, v, w, h, f)",
            [size, video, args.width, args.height, args.fps],
        )
        row.arriving = wait_receiving(page, "mesh", size, video, args.settle)
        return measure(page, row, args.window, None) if row.reached else row
    finally:
        page.close()


def print_header(args) -> None:
    print(
        f"Clients: {args.width}x{args.height} at {args.fps} fps, one VP8 layer capped at "
        f"{args.bitrate // 1000} kbps, Opus; {os.cpu_count()} cores shared with other work."
    )
    header = (
        f"{'mode':<5} {'people':>6} {'video':>5} {'upload/client':>14} {'frames lost':>11} "
        f"{'streams':>7} {'Janus CPU':>9} {'CPU/stream':>10} {'µs/packet':>9}  load\n"
        f"{'':>13}audio packets/s of a publisher (sent, received by each other): "
        f"talking, silent; video packets/s of a stream"
    )
    print(header)
    print("-" * len(header), flush=True)


def print_row(row: Row, settle: float) -> None:
    """One row as soon as it is measured (a long run stopped early keeps what it measured)."""
    if not row.reached:
        print(
            f"{row.mode:<5} {row.size:>6} {row.video:>5}  not reached: "
            f"{row.arriving:.0%} of the streams arriving after {settle:.0f} s",
            flush=True,
        )
        return
    cpu = per_stream = per_packet = ""
    if row.janus_cpu is not None:
        cpu = f"{row.janus_cpu * 100:.1f} %"
        per_stream = f"{row.janus_cpu * 100 / row.streams:.3f} %"
        per_packet = f"{row.cpu_per_packet * 1e6:.1f}"
    print(
        f"{row.mode:<5} {row.size:>6} {row.video:>5} {row.upload_kbps:>9.0f} kbps "
        f"{row.frames_lost * 100:>9.2f} % {row.streams:>7} {cpu:>9} {per_stream:>10} "
        f"{per_packet:>9}  {row.load}",
        flush=True,
    )
    if row.mode == "sfu":
        print(
            f"{'':>13}talking {row.talking_sent:.1f}, {row.talking_forwarded:.1f}; "
            f"silent {row.silent_sent:.1f}, {row.silent_forwarded:.1f}; "
            f"video {row.video_packets_per_stream:.1f}",
            flush=True,
        )


def _ratios(rows: list[Row]) -> None:
    mesh = {row.size: row for row in rows if row.mode == "mesh" and row.reached}
    sfu = [row for row in rows if row.mode == "sfu" and row.reached]
    if not mesh or not sfu:
        return
    largest = mesh[max(mesh)]
    per_peer = largest.upload_kbps / (largest.size - 1)
    print("\nUpload of a client sending video, mesh / SFU:")
    for row in sfu:
        if row.size in mesh:
            upload, how = mesh[row.size].upload_kbps, "measured"
        else:
            upload = per_peer * (row.size - 1)
            how = f"extrapolated: {row.size - 1} x {per_peer:.0f} kbps per peer at {largest.size}"
        print(
            f"  {row.size:>3} people: mesh {upload:.0f} kbps, SFU {row.upload_kbps:.0f} kbps, "
            f"ratio {upload / row.upload_kbps:.1f} ({how})"
        )


def _read(name: str, pattern: str) -> list[int]:
    """Numbers the meeting page's own code uses (a layer's bitrate, the gallery's page)."""
    found = re.search(pattern, (MEETING_JS / name).read_text(), re.DOTALL)
    assert found, f"{pattern} not found in static/js/meeting/{name}: update bench/sfu.py"
    return [int(number) for number in found.groups()]


def layer_packets(bitrate: int, fps: int) -> int:
    """Packets per second of a simulcast layer: each frame takes whole packets."""
    return fps * math.ceil(bitrate / 8 / fps / RTP_PAYLOAD)


def _target(rows: list[Row], talking: int) -> None:
    """Janus's cost of the target room, before and after DTX and visible tiles only."""
    sfu = [row for row in rows if row.mode == "sfu" and row.reached and row.janus_cpu]
    if not sfu:
        return
    largest = max(sfu, key=lambda row: row.size)
    per_packet = largest.cpu_per_packet
    # The desktop camera's frame rate, its simulcast layers (high, middle, low), and the
    # gallery's page at the width tiles.js assumes when it has none.
    fps = _read("media.js", r"frameRate: \{ max: (\d+) \}")[0]
    high, middle, low = _read(
        "sfu.js",
        r'"h",[^}]*maxBitrate: (\d+).*?"m",[^}]*maxBitrate: (\d+).*?"l",[^}]*maxBitrate: (\d+)',
    )
    width, tile, rows_per_page = _read(
        "tiles.js", r"clientWidth \|\| (\d+);.*?Math\.floor\(width / (\d+)\) \* (\d+)"
    )
    page = max(2, width // tile * rows_per_page)
    stage, gallery = layer_packets(high, fps), layer_packets(middle, fps)
    simulcast = stage + gallery + layer_packets(low, fps)
    people, video, others = TARGET_AUDIO, TARGET_VIDEO, TARGET_AUDIO - 1
    shown = min(page, video - 1)

    opus = OPUS_PACKETS_PER_SECOND
    before_in = people * opus + video * simulcast
    before_out = people * others * opus + video * others * gallery
    silent = people - talking
    after_in = talking * largest.talking_sent + silent * largest.silent_sent + video * simulcast
    heard = talking * largest.talking_forwarded + silent * largest.silent_forwarded
    after_out = others * heard + people * (stage + shown * gallery)
    print(
        f"\nJanus for {people} with audio and {video} of them with video, from "
        f"{per_packet * 1e6:.2f} µs of CPU per packet received or sent at {largest.size} people."
        f"\nA camera sends {simulcast} packets/s ({fps} fps; {high // 1000}, {middle // 1000}"
        f" and {low // 1000} kbps layers in {RTP_PAYLOAD}-byte packets: {stage}, {gallery},"
        f" {simulcast - stage - gallery}); each receiver shows the stage ({stage}/s) and a"
        f" gallery page of {page} tiles at {width} px ({gallery}/s each)."
        f"\n  before: in {people} x {opus} + {video} x {simulcast} = {before_in:.0f}/s, "
        f"out {people} x {others} x {opus} + {video} x {others} x {gallery} = {before_out:.0f}/s;"
        f" {before_in + before_out:.0f} packets/s, {(before_in + before_out) * per_packet:.2f}"
        f" cores"
        f"\n  after (DTX, {talking} talking, visible tiles only): in {talking} x "
        f"{largest.talking_sent:.1f} + {silent} x {largest.silent_sent:.1f} + {video} x "
        f"{simulcast} = {after_in:.0f}/s, out {others} x ({talking} x "
        f"{largest.talking_forwarded:.1f} + {silent} x {largest.silent_forwarded:.1f}) + "
        f"{people} x ({stage} + {shown} x {gallery}) = {after_out:.0f}/s; "
        f"{after_in + after_out:.0f} packets/s, {(after_in + after_out) * per_packet:.2f} cores"
    )


def quiet_room(path: Path, dbfs: float | None) -> Path:
    """A silent microphone: ten seconds of white noise at ``dbfs`` (RMS), or of digital
    silence (what a muted microphone's track sends)."""
    deviation = 0 if dbfs is None else 32767 * 10 ** (dbfs / 20)
    noise = random.Random(1)
    samples = (round(noise.gauss(0, deviation)) for _ in range(48_000 * 10))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="6,12,25", help="room sizes, ascending")
    parser.add_argument("--video", type=int, default=TARGET_VIDEO, help="senders of video")
    parser.add_argument("--talking", type=int, default=2, help="talking, the others silent")
    parser.add_argument(
        "--room-noise",
        type=float,
        metavar="DBFS",
        help="the silent microphones' white noise (default: none, as a muted microphone)",
    )
    parser.add_argument("--mesh-max", type=int, default=6, help="largest mesh measured")
    parser.add_argument("--window", type=float, default=15.0, help="seconds measured")
    parser.add_argument("--settle", type=float, default=120.0, help="seconds to connect")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=180)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--bitrate", type=int, default=300_000, help="video cap, bit/s")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="emisa-bench-sfu-"))
    env, meeting_id, tokens = _prepare_platform(workdir / "data", max(sizes))
    janus = start_janus(workdir, free_port(), rtp_ports="43000-43999")
    port = free_port()
    # Every synthetic participant connects from 127.0.0.1, and each open WebSocket holds one
    # of the server's threads: room for them all beside ordinary requests.
    sockets = {"EMISA_SOCKETS_PER_ADDRESS": str(max(sizes) + 4)}
    platform = start_platform({**env, **janus.env, **sockets}, port, threads=max(sizes) + 32)
    base, janus_pid = f"http://127.0.0.1:{port}", janus.process.pid
    rows: list[Row] = []
    try:
        with sync_playwright() as playwright:
            microphone = quiet_room(workdir / "quiet.wav", args.room_noise)
            chromium_args = [
                *CHROMIUM_ARGS,
                f"--use-file-for-fake-audio-capture={microphone}",
                "--autoplay-policy=no-user-gesture-required",  # the talkers' AudioContext
            ]
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=chromium_args
            )
            context = browser.new_context(bypass_csp=True)
            context.add_init_script(f"window.benchBitrate = {args.bitrate};")
            print_header(args)
            for size in sizes:
                if size <= args.mesh_max:
                    rows.append(run_mesh(context, base, size, args))
                    print_row(rows[-1], args.settle)
                rows.append(run_sfu(context, base, meeting_id, tokens, size, args, janus_pid))
                print_row(rows[-1], args.settle)
                if not rows[-1].reached:
                    break
            browser.close()
    finally:
        stop(platform)
        stop_janus(janus)
        shutil.rmtree(workdir, ignore_errors=True)
    _ratios(rows)
    _target(rows, args.talking)


if __name__ == "__main__":
    main()
