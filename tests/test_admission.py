"""Admission control: requests queue for a slot, but no client can stall the others."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
import requests

from emisa.admission import AdmissionControl
from tests.conftest import free_port, start_server, stop_server

GENEROUS = 30  # seconds: long enough that reaching it would mean the request was stalled


class BlockingApp:
    """A WSGI app whose requests block until the test lets them go."""

    def __init__(self) -> None:
        self.started: dict[str, threading.Event] = {}
        self.release: dict[str, threading.Event] = {}

    def expect(self, name: str) -> None:
        self.started[name] = threading.Event()
        self.release[name] = threading.Event()

    def __call__(self, environ, start_response):
        name = environ["PATH_INFO"].strip("/")
        self.started[name].set()
        if not self.release[name].wait(GENEROUS):
            raise AssertionError(f"{name} was never released")
        if name.startswith("fail"):
            raise RuntimeError("handler failed")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [name.encode()]


def call(middleware, name: str, environ: dict | None = None) -> threading.Thread:
    def run():
        with contextlib.suppress(RuntimeError):  # the failing handler's own error
            middleware({"PATH_INFO": f"/{name}", **(environ or {})}, lambda *args: None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def running(app: BlockingApp, middleware, name: str, environ: dict | None = None):
    """Call ``name`` and wait until it runs inside the app (holding a slot if it took one)."""
    app.expect(name)
    thread = call(middleware, name, environ)
    assert app.started[name].wait(GENEROUS), f"{name} never ran"
    return thread


def test_a_second_request_waits_until_the_first_one_leaves():
    app = BlockingApp()
    middleware = AdmissionControl(app, slots=1, wait=GENEROUS)
    first = running(app, middleware, "first")
    app.expect("second")
    second = call(middleware, "second")
    assert not app.started["second"].wait(0.3)
    app.release["first"].set()
    assert app.started["second"].wait(GENEROUS)
    app.release["second"].set()
    for thread in (first, second):
        thread.join(GENEROUS)


def test_a_request_stuck_in_its_slot_delays_the_others_only_for_the_bounded_wait():
    app = BlockingApp()
    middleware = AdmissionControl(app, slots=1, wait=0.05)
    stuck = running(app, middleware, "stuck")
    # Runs although the stuck request still holds the only slot.
    other = running(app, middleware, "other")
    app.release["other"].set()
    other.join(GENEROUS)
    app.release["stuck"].set()
    stuck.join(GENEROUS)


@pytest.mark.parametrize(
    "body_header", [{"CONTENT_LENGTH": "1048576"}, {"HTTP_TRANSFER_ENCODING": "chunked"}]
)
def test_requests_with_a_body_never_wait_for_a_slot(body_header):
    app = BlockingApp()
    middleware = AdmissionControl(app, slots=1, wait=GENEROUS)
    holder = running(app, middleware, "holder")
    upload = running(app, middleware, "upload", {"REQUEST_METHOD": "POST", **body_header})
    app.release["upload"].set()
    app.release["holder"].set()
    for thread in (holder, upload):
        thread.join(GENEROUS)


def test_a_failing_request_gives_its_slot_back():
    app = BlockingApp()
    middleware = AdmissionControl(app, slots=1, wait=GENEROUS)
    app.expect("fail")
    app.release["fail"].set()
    call(middleware, "fail").join(GENEROUS)
    nxt = running(app, middleware, "next")
    app.release["next"].set()
    nxt.join(GENEROUS)


def test_a_client_trickling_a_body_does_not_stall_the_real_server(app, app_config):
    """A slowloris upload holds a thread, never the admission slot every page needs.

    The server's admission wait is set far above the page timeout, so a body-carrying request
    holding the slot would make the page loads below time out.
    """
    port = free_port()
    server = start_server(app_config, port, {"EMISA_ADMISSION_WAIT": "300"})
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=GENEROUS) as slow:
            slow.sendall(
                b"POST /login HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\nemail=slow"
            )
            for _ in range(5):
                answer = requests.get(f"http://127.0.0.1:{port}/login", timeout=10)
                assert answer.status_code == 200
                assert 'name="password"' in answer.text
                slow.sendall(b"x")
    finally:
        stop_server(server)
