"""A small client for the Janus WebRTC server's HTTP API (core and VideoRoom plugin).

Janus listens on loopback only; every request carries its ``api_secret``. A
Janus session belongs to one Socket.IO connection (the process holding that
connection holds the session) and a thread long-polls it for the events Janus
pushes: answers to asynchronous plugin requests (matched by transaction) and
everything else (a subscriber's new offer, a publisher going live, talking) to
the callback of the handle it concerns.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
REQUEST_TIMEOUT = 20.0  # generous: a loaded host must not lose an answer Janus still gives
LONG_POLL_TIMEOUT = 40.0  # Janus answers a long poll with a keepalive after 30 s

# Janus core error codes the client reacts to.
NO_SUCH_SESSION = 458
NO_SUCH_HANDLE = 459
# VideoRoom plugin error codes.
ROOM_EXISTS = 427
NO_SUCH_ROOM = 426
UNAUTHORIZED = 433


class JanusError(RuntimeError):
    """Janus refused a request or could not be reached; ``code`` is Janus's error code."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.code = code


EventCallback = Callable[[dict, dict | None], None]


class Janus:
    """One Janus server: its HTTP endpoint and the secrets the platform holds for it."""

    def __init__(self, url: str, api_secret: str, admin_key: str):
        self.url = url.rstrip("/")
        self.api_secret = api_secret
        self.admin_key = admin_key
        self._control: Session | None = None
        self._control_handle = 0
        self._control_lock = threading.Lock()

    def post(self, path: str, body: dict, timeout: float = REQUEST_TIMEOUT) -> dict:
        body = {**body, "transaction": body.get("transaction") or _transaction()}
        body["apisecret"] = self.api_secret
        return self._http(path, json.dumps(body).encode(), timeout)

    def get(self, path: str, timeout: float) -> Any:
        return self._http(f"{path}?maxev=10&apisecret={self.api_secret}", None, timeout)

    def _http(self, path: str, data: bytes | None, timeout: float) -> Any:
        request = urllib.request.Request(  # noqa: S310 (the URL is checked to be http on loopback)
            self.url + path, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                answer = json.loads(response.read())
        except (OSError, ValueError, http.client.HTTPException) as failure:
            # HTTPException: Janus ends a long poll mid-answer when its session is destroyed.
            raise JanusError(f"Janus did not answer: {failure}") from None
        if isinstance(answer, dict) and answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusError(error.get("reason", "Janus refused the request"), error.get("code", 0))
        return answer

    def session(self, on_gone: Callable[[], None] | None = None) -> Session:
        answer = self.post("", {"janus": "create"})
        return Session(self, answer["data"]["id"], on_gone)

    def control(self, body: dict) -> dict:
        """A synchronous VideoRoom request (create, destroy, allowed, kick, moderate, list...)
        on the process's own control handle, which is re-created when Janus dropped it."""
        body = {**body, "admin_key": self.admin_key}
        with self._control_lock:
            for attempt in (1, 2):
                try:
                    if self._control is None:
                        self._control = Session(
                            self, self.post("", {"janus": "create"})["data"]["id"]
                        )
                        self._control_handle = self._control.attach()
                    return self._control.request(self._control_handle, body)
                except JanusError as failure:
                    if failure.code not in (NO_SUCH_SESSION, NO_SUCH_HANDLE) or attempt == 2:
                        raise
                    self._control = None
        raise AssertionError("unreachable")


class Session:
    """A Janus session with its handles; ``listen()`` starts the long-poll thread."""

    def __init__(self, janus: Janus, session_id: int, on_gone: Callable[[], None] | None = None):
        self.janus = janus
        self.id = session_id
        self.path = f"/{session_id}"
        self.callbacks: dict[int, EventCallback] = {}
        self.waiting: dict[str, tuple[threading.Event, list]] = {}
        self.closed = False
        self.on_gone = on_gone
        self._thread: threading.Thread | None = None

    def attach(self, on_event: EventCallback | None = None) -> int:
        answer = self.janus.post(self.path, {"janus": "attach", "plugin": VIDEOROOM})
        handle = answer["data"]["id"]
        if on_event is not None:
            self.callbacks[handle] = on_event
        return handle

    def detach(self, handle: int) -> None:
        self.callbacks.pop(handle, None)
        with contextlib.suppress(JanusError):  # gone already with its session
            self.janus.post(f"{self.path}/{handle}", {"janus": "detach"})

    def request(self, handle: int, body: dict) -> dict:
        """A synchronous plugin request: its answer, or JanusError with the plugin's code."""
        answer = self.janus.post(f"{self.path}/{handle}", {"janus": "message", "body": body})
        return _plugin_data(answer)

    def send(self, handle: int, body: dict, jsep: dict | None = None) -> tuple[dict, dict | None]:
        """An asynchronous plugin request: waits for the event answering it (data, jsep)."""
        if self._thread is None:
            raise RuntimeError("listen() before sending asynchronous requests")
        transaction = _transaction()
        arrived = threading.Event()
        box: list = []
        self.waiting[transaction] = (arrived, box)
        message = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            message["jsep"] = jsep
        try:
            answer = self.janus.post(f"{self.path}/{handle}", message)
            if answer.get("janus") == "success":  # answered at once after all
                return _plugin_data(answer), answer.get("jsep")
            if not arrived.wait(REQUEST_TIMEOUT):
                raise JanusError("Janus did not answer in time.")
        finally:
            self.waiting.pop(transaction, None)
        event = box[0]
        return _plugin_data(event), event.get("jsep")

    def trickle(self, handle: int, candidate: dict | None) -> None:
        body = {"janus": "trickle", "candidate": candidate or {"completed": True}}
        self.janus.post(f"{self.path}/{handle}", body)

    def listen(self) -> None:
        self._thread = threading.Thread(
            target=self._poll, name=f"janus-session-{self.id}", daemon=True
        )
        self._thread.start()

    def destroy(self) -> None:
        """End the session: Janus closes its peer connections and leaves its rooms."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(JanusError):  # timed out already
            self.janus.post(self.path, {"janus": "destroy"})

    def _poll(self) -> None:
        while not self.closed:
            try:
                events = self.janus.get(self.path, LONG_POLL_TIMEOUT)
            except JanusError as failure:
                if not self.closed:
                    log.warning("Janus session %s lost: %s", self.id, failure)
                    self.closed = True
                    if self.on_gone is not None:
                        self.on_gone()
                return
            for event in events if isinstance(events, list) else [events]:
                self._dispatch(event)

    def _dispatch(self, event: dict) -> None:
        waiter = self.waiting.get(event.get("transaction") or "")
        if waiter is not None and event.get("janus") == "event":
            waiter[1].append(event)
            waiter[0].set()
            return
        callback = self.callbacks.get(event.get("sender"))
        if callback is None:
            return
        try:
            callback(event, event.get("jsep"))
        except Exception:
            log.exception("handling Janus event %s failed", event.get("janus"))


def _transaction() -> str:
    return secrets.token_urlsafe(9)


def _plugin_data(answer: dict) -> dict:
    data = (answer.get("plugindata") or {}).get("data") or {}
    if "error_code" in data:
        raise JanusError(data.get("error", "The VideoRoom plugin refused."), data["error_code"])
    return data
