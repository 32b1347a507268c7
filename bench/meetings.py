"""Meeting chat fan-out: the platform next to a bare python-socketio broadcast server.

    python -m bench.meetings [--participants 50] [--paced 100] [--burst 400]

One sender and N receivers (python-socketio clients over WebSocket, spread over
several client processes so they do not share the servers' or each other's
interpreter lock) join one meeting. The sender posts chat messages at a paced
10 per second, then in a burst; every receiver timestamps every message. Both
servers run under the same gunicorn (one gthread worker), on loopback, on this
machine. The platform does its full work per message: reload the account and its
credential, ask the access policy, apply the shared rate limit, seal the text
with the group key and store it, then fan out. The bare server only fans out.

Bounded: fixed message counts and a time limit per phase. Not part of the tests.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.common import free_port, start_gunicorn

NS = "/meetings"
PACED_RATE = 10  # messages per second
PHASE_TIMEOUT = 120  # seconds for all deliveries of a phase to arrive
WARM_UP = 20  # messages before measuring


# The bare baseline: join a room, broadcast chat to it. Served as bench.meetings:bare_app.


def _make_bare_app():
    import socketio

    server = socketio.Server(async_mode="threading", cors_allowed_origins=None)
    counter = iter(range(1, 10**9))

    @server.on("join", namespace=NS)
    def join(sid, data):
        server.enter_room(sid, f"meeting:{data['meeting_id']}", namespace=NS)
        return {"ok": True, "you": sid, "participants": []}

    @server.on("chat", namespace=NS)
    def chat(sid, data):
        message = {
            "id": next(counter),
            "author": {"name": "bare"},
            "text": data["text"],
            "sent_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        for room in server.rooms(sid, namespace=NS):
            if room.startswith("meeting:"):
                server.emit("chat", message, to=room, namespace=NS)
        return {"ok": True, "id": message["id"]}

    return socketio.WSGIApp(server)


def __getattr__(name: str):
    if name == "bare_app":
        return _make_bare_app()
    raise AttributeError(name)


# Servers


def _prepare_platform(data_dir: Path, participants: int) -> tuple[dict, int, list[str]]:
    """A fresh SQLite platform with one group, one open meeting and a token per person."""
    from datetime import timedelta

    from emisa import create_app
    from emisa.accounts.models import User
    from emisa.accounts.sessions import issue_token
    from emisa.database import commit, upgrade_schema
    from emisa.extensions import db
    from emisa.groups.operations import add_member, create_group
    from emisa.meetings import operations
    from emisa.timeutil import utcnow

    database = f"sqlite:///{data_dir / 'emisa.db'}"
    app = create_app({"EMISA_DATA_DIR": data_dir, "SQLALCHEMY_DATABASE_URI": database})
    tokens = []
    with app.app_context():
        upgrade_schema()
        db.create_all()  # tables of features newer than the last migration
        group = create_group("Benchmark group", "", [], "request")
        people = []
        for n in range(participants + 1):
            user = User(
                email=f"bench{n}@agency.example",
                name=f"Participant {n}",
                organisation="Bench agency",
                country="BE",
                state="active",
                totp_enrolled_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            add_member(group, user, "coordinator" if n == 0 else "member", by=None)
            people.append(user)
        start = utcnow()
        meeting = operations.create_meeting(
            group,
            operations.MeetingInput(
                title="Benchmark meeting",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                agenda=[],
                tlp="TLP:AMBER",
                invitee_ids=[],
                releasable_to=[],
            ),
            people[0],
        )
        meeting.state = "open"
        for user in people:
            tokens.append(issue_token(user, "bench")[1])
        commit()
        meeting_id = meeting.id
        db.engine.dispose()
    env = {
        "EMISA_DATA_DIR": str(data_dir),
        "DATABASE_URL": database,
        # The benchmark measures fan-out, not the per-person chat limit.
        "EMISA_MEETING_CHAT_RATE": "1000000/1",
    }
    return env, meeting_id, tokens


# Clients


def _receiver(url, tokens, meeting_id, ready, go_home, results, delivered):
    """One client process: several receivers, each timestamping every chat message."""
    import socketio

    arrivals: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    clients = []

    def on_chat(data):
        now = time.time()
        phase, seq, sent = data["text"].split(":")
        with lock:
            arrivals.append((phase, int(seq), now - float(sent)))
        with delivered.get_lock():
            delivered.value += 1

    for token in tokens:
        client = socketio.Client(reconnection=False)
        client.on("chat", on_chat, namespace=NS)
        client.connect(
            url,
            namespaces=[NS],
            auth={"token": token} if token else None,
            transports=["websocket"],
            wait_timeout=30,
        )
        answer = client.call("join", {"meeting_id": meeting_id}, namespace=NS, timeout=30)
        assert answer["ok"], answer
        clients.append(client)
    ready.put(len(clients))
    go_home.wait()
    for client in clients:
        client.disconnect()
    results.put(arrivals)


def _run(url: str, meeting_id: int, tokens: list[str], args) -> dict:
    import socketio

    ctx = multiprocessing.get_context("spawn")
    ready, results, go_home = ctx.Queue(), ctx.Queue(), ctx.Event()
    delivered = ctx.Value("l", 0)
    receivers = tokens[1:]
    chunks = [receivers[i :: args.client_processes] for i in range(args.client_processes)]
    processes = [
        ctx.Process(
            target=_receiver, args=(url, chunk, meeting_id, ready, go_home, results, delivered)
        )
        for chunk in chunks
        if chunk
    ]
    for process in processes:
        process.start()
    joined = sum(ready.get(timeout=120) for _ in processes)
    sender = socketio.Client(reconnection=False)
    sender.connect(
        url,
        namespaces=[NS],
        auth={"token": tokens[0]} if tokens[0] else None,
        transports=["websocket"],
        wait_timeout=30,
    )
    assert sender.call("join", {"meeting_id": meeting_id}, namespace=NS, timeout=30)["ok"]

    report = {"receivers": joined}

    def wait_all(expected: int) -> float:
        deadline = time.monotonic() + PHASE_TIMEOUT
        while delivered.value < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        return time.time()

    # Warm-up (not measured): joins have settled, every connection has sent and received.
    acks = []
    for seq in range(WARM_UP):
        sender.emit("chat", {"text": f"warm:{seq}:{time.time():.6f}"}, namespace=NS)
    wait_all(joined * WARM_UP)
    time.sleep(1)
    base = delivered.value

    # Paced: 10 messages per second, each awaiting nothing.
    start = time.time()
    for seq in range(args.paced):
        target = start + seq / PACED_RATE
        pause = target - time.time()
        if pause > 0:
            time.sleep(pause)
        sender.emit(
            "chat", {"text": f"paced:{seq}:{time.time():.6f}"}, namespace=NS, callback=acks.append
        )
    wait_all(base + joined * args.paced)

    # Burst: as fast as one client can send.
    burst_start = time.time()
    for seq in range(args.burst):
        sender.emit(
            "chat", {"text": f"burst:{seq}:{time.time():.6f}"}, namespace=NS, callback=acks.append
        )
    burst_end = wait_all(base + joined * (args.paced + args.burst))
    go_home.set()
    arrivals = []
    for _ in processes:
        arrivals.extend(results.get(timeout=120))
    for process in processes:
        process.join(timeout=60)
    sender.disconnect()

    for phase, sent in (("paced", args.paced), ("burst", args.burst)):
        latencies = sorted(lat for p, _seq, lat in arrivals if p == phase)
        expected = joined * sent
        report[phase] = {
            "sent": sent,
            "expected": expected,
            "delivered": len(latencies),
            "lost": expected - len(latencies),
            "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))]
            if latencies
            else float("nan"),
        }
    burst_delivered = sum(1 for p, _seq, _lat in arrivals if p == "burst")
    report["burst"]["rate"] = burst_delivered / max(burst_end - burst_start, 1e-9)
    report["acks_failed"] = sum(1 for ack in acks if not (isinstance(ack, dict) and ack.get("ok")))
    return report


def _print(name: str, report: dict) -> None:
    paced, burst = report["paced"], report["burst"]
    print(
        f"{name:<10} receivers {report['receivers']:>3} | "
        f"paced 10/s: p50 {paced['p50_ms']:6.1f} ms, p99 {paced['p99_ms']:6.1f} ms, "
        f"lost {paced['lost']} | "
        f"burst: {burst['rate']:8.0f} delivered msg/s, p50 {burst['p50_ms']:7.1f} ms, "
        f"p99 {burst['p99_ms']:7.1f} ms, lost {burst['lost']} | "
        f"failed acks {report['acks_failed']}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--paced", type=int, default=100, help="messages at 10 per second")
    parser.add_argument("--burst", type=int, default=400, help="messages sent back to back")
    parser.add_argument("--client-processes", type=int, default=5)
    parser.add_argument("--threads", type=int, default=128)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="emisa-bench-meetings-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        env, meeting_id, tokens = _prepare_platform(data_dir, args.participants)

        port = free_port()
        platform = start_gunicorn("app:app", env, port, args.threads)
        try:
            platform_report = _run(f"http://127.0.0.1:{port}", meeting_id, tokens, args)
        finally:
            platform.terminate()
            platform.wait(timeout=30)

        port = free_port()
        bare = start_gunicorn("bench.meetings:bare_app", {}, port, args.threads)
        try:
            bare_report = _run(f"http://127.0.0.1:{port}", 1, [""] * len(tokens), args)
        finally:
            bare.terminate()
            bare.wait(timeout=30)

    print(
        f"Chat fan-out to {args.participants} participants, {args.paced} messages paced at "
        f"{PACED_RATE}/s then {args.burst} in a burst (loopback, {os.cpu_count()} CPUs):"
    )
    _print("platform", platform_report)
    _print("bare", bare_report)
    ratio = platform_report["burst"]["rate"] / bare_report["burst"]["rate"]
    print(
        f"ratio platform/bare delivered rate in the burst: {ratio:.0%} (target >= 50%); "
        f"platform paced p99 {platform_report['paced']['p99_ms']:.1f} ms (target < 100 ms)"
    )


if __name__ == "__main__":
    main()
