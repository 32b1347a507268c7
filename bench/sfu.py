"""Meeting media through Janus (SFU) against a mesh, as the room grows.

    python -m bench.sfu [--sizes 6,12,25] [--video 25] [--mesh-max 6] [--window 15]

Synthetic participants (bench/sfu.js) live in one headless Chromium page (Debian's chromium,
fake camera and microphone at a low resolution, one VP8 layer capped at the same bitrate in
both modes). Through the SFU each one joins the meeting with its own API token over the
platform's Socket.IO namespace, publishes its microphone (and its camera, for the first
``--video``) through ``python app.py`` to a real Janus started from config/janus/, and
subscribes to everyone else, exactly as a browser does. The mesh baseline, measured in the
same run, sends each participant's streams on one peer connection per other participant.

For each room size, after every participant receives what it should, counters are read from
getStats and /proc twice, ``--window`` seconds apart:
  - each client's upload (outbound-rtp bytesSent), mean over the clients sending video;
  - frames lost: 1 - frames decoded by all receivers / (frames encoded x receivers);
  - Janus's CPU (utime + stime of its process) per forwarded stream and per forwarded
    packet (packets received by all subscribers).
A size whose participants do not all receive within ``--settle`` seconds is reported as not
reached. Beyond the largest mesh measured, its upload is extrapolated as (N - 1) times the
upload per peer it measured, and said so. Janus's cost of the target room (50 with audio,
25 of them with video) is extrapolated from the CPU per forwarded packet at the largest
size reached, with Opus's 50 packets/s and the gallery's 300 kbps layer in 1200-byte
packets. The machine is shared: the load average is printed with each row.

Bounded: a few fixed room sizes, a fixed measuring window and settling timeout. Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from bench.common import free_port, start_platform, stop
from bench.meetings import _prepare_platform
from tests.conftest import CHROMIUM_ARGS
from tests.meetings.janus_server import start_janus, stop_janus

SCRIPT = Path(__file__).with_suffix(".js")
TICKS = os.sysconf("SC_CLK_TCK")
TARGET_AUDIO, TARGET_VIDEO = 50, 25
OPUS_PACKETS_PER_SECOND = 50  # 20 ms frames
GALLERY_LAYER_BPS = 300_000  # the middle simulcast layer (static/js/meeting/sfu.js)


@dataclass
class Row:
    mode: str
    size: int
    video: int
    upload_kbps: float = 0.0  # per client sending video (or per client, without video)
    frames_lost: float = 0.0  # fraction
    janus_cpu: float | None = None  # fraction of one core
    streams: int = 0  # forwarded (SFU) or sent (mesh) audio and video streams
    packets_per_second: float = 0.0  # received by all clients
    video_packets_per_stream: float = 0.0
    load: str = ""
    arriving: float = 1.0  # share of the streams received after settling

    @property
    def reached(self) -> bool:
        return self.arriving >= 1


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
    audio_pps = OPUS_PACKETS_PER_SECOND * row.size * (row.size - 1)
    video_streams = row.video * (row.size - 1)
    row.video_packets_per_stream = max(0.0, row.packets_per_second - audio_pps) / video_streams
    row.streams = row.size * (row.size - 1) + video_streams
    row.load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return row


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
                    [args.settle * 1000, tokens[n + 1], meeting_id, n < video, *capture],
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
        f"{'streams':>7} {'Janus CPU':>9} {'CPU/stream':>10} {'µs/packet':>9}  load"
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
        per_packet = f"{row.janus_cpu * 1e6 / row.packets_per_second:.1f}"
    print(
        f"{row.mode:<5} {row.size:>6} {row.video:>5} {row.upload_kbps:>9.0f} kbps "
        f"{row.frames_lost * 100:>9.2f} % {row.streams:>7} {cpu:>9} {per_stream:>10} "
        f"{per_packet:>9}  {row.load}",
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


def _target(rows: list[Row]) -> None:
    """Janus's cost of the target room from the largest SFU room measured, its video at the
    middle simulcast layer the gallery asks for (full-size packets of about 1200 bytes)."""
    sfu = [row for row in rows if row.mode == "sfu" and row.reached and row.janus_cpu]
    if not sfu:
        return
    largest = max(sfu, key=lambda row: row.size)
    per_packet = largest.janus_cpu / largest.packets_per_second
    video_pps = GALLERY_LAYER_BPS / 8 / 1200
    audio = TARGET_AUDIO * (TARGET_AUDIO - 1) * OPUS_PACKETS_PER_SECOND
    video = TARGET_VIDEO * (TARGET_AUDIO - 1) * video_pps
    print(
        f"\nJanus for {TARGET_AUDIO} with audio and {TARGET_VIDEO} of them with video, "
        f"extrapolated from {per_packet * 1e6:.1f} µs of CPU per forwarded packet at "
        f"{largest.size} people ({OPUS_PACKETS_PER_SECOND} packets/s per audio stream, "
        f"{video_pps:.0f} per video stream at {GALLERY_LAYER_BPS // 1000} kbps): "
        f"{audio + video:.0f} packets/s, {(audio + video) * per_packet:.2f} cores."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="6,12,25", help="room sizes, ascending")
    parser.add_argument("--video", type=int, default=TARGET_VIDEO, help="senders of video")
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
    platform = start_platform({**env, **janus.env}, port)
    base, janus_pid = f"http://127.0.0.1:{port}", janus.process.pid
    rows: list[Row] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
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
    _target(rows)


if __name__ == "__main__":
    main()
