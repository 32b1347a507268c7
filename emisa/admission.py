"""Admission control: at most a few requests run Python at once in a process.

The interpreter lock lets one thread run Python at a time. Every SQLite row step, socket
call and lock wait releases it, and with many request threads ready to run each release
hands the lock to another thread: the process then spends about half its CPU switching
between threads instead of answering (measured with ``python -m bench.api``). Queueing
request threads on a semaphore instead keeps the handovers between two threads at most,
which more than halves the kernel time and raises throughput by a third or more.

Two things must never hold a slot, or one slow client could stall every other user:

- Requests with a body (uploads, forms) are admitted without a slot: reading the body
  waits on the client, however slow it chooses to be.
- The Socket.IO middleware sits outside this one, so WebSockets and long polls are not
  admitted at all. Streamed response bodies (downloads) are produced after the slot is
  released.

A request that holds a slot but waits inside (say, for the SQLite write lock) delays the
others at most ``EMISA_ADMISSION_WAIT`` seconds; after that they run without a slot.
"""

from __future__ import annotations

import threading

from flask import Flask


def _has_body(environ: dict) -> bool:
    return bool(environ.get("HTTP_TRANSFER_ENCODING")) or environ.get("CONTENT_LENGTH") not in (
        None,
        "",
        "0",
    )


class AdmissionControl:
    """WSGI middleware running at most ``slots`` body-less requests at a time."""

    def __init__(self, wsgi_app, slots: int, wait: float) -> None:
        self.wsgi_app = wsgi_app
        self.slots = threading.BoundedSemaphore(slots)
        self.wait = wait

    def __call__(self, environ, start_response):
        if _has_body(environ) or not self.slots.acquire(timeout=self.wait):
            return self.wsgi_app(environ, start_response)
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            self.slots.release()


def init_app(app: Flask) -> None:
    slots = int(app.config["EMISA_REQUEST_SLOTS"])
    if slots > 0:
        app.wsgi_app = AdmissionControl(
            app.wsgi_app, slots, float(app.config["EMISA_ADMISSION_WAIT"])
        )
