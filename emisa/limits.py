"""Limits that keep one anonymous client from exhausting a process.

A process serves everything with a fixed pool of threads (gunicorn ``gthread``), and a
Socket.IO WebSocket holds one of them for as long as it stays open. Without limits, a few
dozen sockets opened by anyone, signed in or not, would leave no thread for pages, the API
or the meetings already running. Three rules bound that (connections that send nothing at
all never get a thread: ``emisa.serving``):

- An address holds at most ``EMISA_SOCKETS_PER_ADDRESS`` Socket.IO requests at a time (open
  WebSockets and pending long polls); beyond that it is refused at once with 429.
- An Engine.IO session that has not connected the meetings namespace (which needs a browser
  session or an API token) ``EMISA_SOCKET_SIGN_IN_SECONDS`` after its handshake is closed.
- A WebSocket silent for a whole ping cycle (Engine.IO's ping interval and timeout) loses
  its socket, even if it ignores the close.

Request bodies are held to ``MAX_CONTENT_LENGTH`` (``EMISA_MAX_BODY_BYTES``, 1 MiB) by
Werkzeug before anything parses them, chunked bodies included. File parts never reach a
temporary file (Werkzeug spools large ones to plaintext files by default): they stay small in
memory, or go where a view that receives files declared (``receive_files``: the document
upload encrypts them on arrival), which also raises the body limit for that request alone.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress

import orjson
from flask import Flask, Request, g, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_input_stream

SOCKETIO_PATH = "/socket.io/"


def body_too_large_message() -> str:
    """Why a body was refused, naming the limit that applied to this request."""
    from emisa.documents.upload import human_size

    return _(
        "The request is larger than the %(limit)s accepted here "
        "(files go through the document upload); nothing was done with it.",
        limit=human_size(request.max_content_length),
    )


class ChunkedBodyLimit(io.RawIOBase):
    """A body sent without a length, refused with 413 the moment it passes ``limit``.

    Werkzeug stops such a stream at the limit, but reading all of it (JSON, urlencoded
    forms) then quietly returns the first ``limit`` bytes: the rest is never refused.
    Reading one byte further tells a body of exactly the limit from a longer one.
    """

    def __init__(self, environ: dict, limit: int) -> None:
        super().__init__()
        self.stream = get_input_stream(environ, max_content_length=limit + 1)
        self.limit = limit
        self.seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.stream.readinto(buffer) or 0
        self.seen += count
        if self.seen > self.limit:
            raise RequestEntityTooLarge()
        return count


# Files sent to a view that declared no place for them are kept in memory up to this size.
MEMORY_FILE_LIMIT = 4 * 1024 * 1024


class PlatformRequest(Request):
    """The app's request class: chunked bodies held to ``max_content_length`` as strictly as
    others, and file parts written where the view declared (``receive_files``) or kept small
    in memory, never in a temporary file."""

    @cached_property
    def stream(self):
        limit = self.max_content_length
        if limit is None or self.content_length is not None:
            return super().stream
        return ChunkedBodyLimit(self.environ, limit)

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ):
        open_sink = g.get("emisa_file_sink")
        if open_sink is not None:
            return open_sink(filename, content_type)
        return _MemoryFile()


class _MemoryFile(io.BytesIO):
    def write(self, data) -> int:
        if self.tell() + len(data) > MEMORY_FILE_LIMIT:
            raise RequestEntityTooLarge(
                _(
                    "Files are accepted only by the document upload; "
                    "this form takes none that large."
                )
            )
        return super().write(data)


def receive_files(open_sink: Callable[[str | None, str | None], io.RawIOBase], limit: int) -> None:
    """Write this request's file parts to ``open_sink(filename, content_type)`` and let its
    body reach ``limit`` bytes. Call it after the access check, before the form is parsed."""
    g.emisa_file_sink = open_sink
    request.max_content_length = limit


class SocketGuard:
    """WSGI middleware in front of Socket.IO: per-address cap and the sign-in deadline."""

    def __init__(self, wsgi_app, server, per_address: int, sign_in_seconds: float) -> None:
        self.wsgi_app = wsgi_app
        self.server = server
        self.per_address = per_address
        self.sign_in_seconds = sign_in_seconds
        self.idle_seconds = server.eio.ping_interval + server.eio.ping_timeout
        self.lock = threading.Lock()
        self.held: dict[str, int] = {}
        self.first_seen: dict[str, float] = {}
        self.sweeping = False

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(SOCKETIO_PATH):
            return self.wsgi_app(environ, start_response)
        address = environ.get("REMOTE_ADDR", "")
        with self.lock:
            held = self.held.get(address, 0)
            if held >= self.per_address:
                return self._refuse(environ, start_response)
            self.held[address] = held + 1
            self._start_sweeping()
        connection = _raw_socket(environ)
        if connection is not None:
            # What Engine.IO means to do but cannot reach through simple-websocket: a peer
            # silent for longer than a ping cycle loses its socket, and so frees its thread.
            with suppress(OSError):
                connection.settimeout(self.idle_seconds)
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            with self.lock:
                if self.held[address] == 1:
                    del self.held[address]
                else:
                    self.held[address] -= 1

    def _refuse(self, environ, start_response):
        body = {
            "error": {
                "code": "too_many_connections",
                "message": (
                    f"This address already has {self.per_address} live connections to the "
                    "platform. Close other tabs or windows with meetings and try again."
                ),
            }
        }
        response = Response(
            orjson.dumps(body),
            status=429,
            mimetype="application/json",
            headers={"Retry-After": "5"},
        )
        return response(environ, start_response)

    def _start_sweeping(self) -> None:
        """One sweeper per process while Socket.IO is in use (called with the lock held)."""
        if not self.sweeping:
            self.sweeping = True
            threading.Thread(
                target=self._sweep_until_idle, name="socket-sign-in", daemon=True
            ).start()

    def _sweep_until_idle(self) -> None:
        interval = min(1.0, self.sign_in_seconds / 4)
        while True:
            time.sleep(interval)
            self.close_unsigned(time.monotonic())
            with self.lock:
                if not self.held and not self.first_seen:
                    self.sweeping = False
                    return

    def close_unsigned(self, now: float) -> None:
        """Close the Engine.IO sessions still without a namespace after the deadline."""
        eio = self.server.eio
        sessions = {sid: s for sid, s in list(eio.sockets.items()) if not (s.closed or s.closing)}
        with self.lock:
            self.first_seen = {sid: self.first_seen.get(sid, now) for sid in sessions}
            late = [
                sid
                for sid, seen in self.first_seen.items()
                if now - seen >= self.sign_in_seconds and not self._signed_in(sid)
            ]
        for sid in late:
            connection = _raw_socket(self.server.environ.get(sid) or {})
            # Not ``eio.disconnect``: it waits for the client to take the CLOSE packet, and a
            # long-polling client that stopped polling never does.
            sessions[sid].close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
            if connection is not None:
                # A peer that ignores the close would hold its thread until the socket timeout.
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def _signed_in(self, eio_sid: str) -> bool:
        manager = self.server.manager
        return any(
            manager.sid_from_eio_sid(eio_sid, namespace) is not None
            for namespace in list(manager.get_namespaces())
        )


def _raw_socket(environ: dict) -> socket.socket | None:
    """A WebSocket's connection, as gunicorn (or Werkzeug's server, in tests) hands it over."""
    if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
        return None
    return environ.get("gunicorn.socket") or environ.get("werkzeug.socket")


def init_app(app: Flask) -> None:
    """The request class, and the guard in front of Socket.IO (call after ``socketio.init_app``)."""
    from emisa.extensions import socketio

    app.request_class = PlatformRequest

    app.wsgi_app = SocketGuard(
        app.wsgi_app,
        socketio.server,
        int(app.config["EMISA_SOCKETS_PER_ADDRESS"]),
        float(app.config["EMISA_SOCKET_SIGN_IN_SECONDS"]),
    )
