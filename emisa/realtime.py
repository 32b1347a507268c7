"""The Socket.IO message queue (Redis, with ``EMISA_REDIS_URL``) and life without it.

python-socketio delivers an event to this process's own clients before it publishes it for
the other processes, so a meeting whose people share one process needs no queue. This
manager makes that hold while Redis is down: a failed publish is not retried on every
event (that would stall each one on a connection attempt), the listener tries again every
``RETRY_SECONDS`` instead of backing off to a minute, and each change of state is logged and
told to ``listeners`` (the meeting room tells its people that live updates from other
processes are interrupted, then that they are back). Rights withdrawn meanwhile still reach
connections on other processes: each process re-checks its own (``emisa.meetings.revocation``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import socketio
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ResilientRedisManager(socketio.RedisManager):
    RETRY_SECONDS = 2.0

    def __init__(self, url: str, channel: str = "flask-socketio"):
        super().__init__(
            url,
            channel=channel,
            redis_options={"socket_connect_timeout": 2, "socket_keepalive": True},
        )
        # Assumed until the listener's first attempt says otherwise.
        self.queue_connected = True
        self.listeners: list[Callable[[bool], None]] = []
        self._retry_at = 0.0

    def _changed(self, connected: bool, error: Exception | None = None) -> None:
        if connected == self.queue_connected:
            return
        self.queue_connected = connected
        if connected:
            log.warning("message queue reachable again: live updates cross processes again")
        else:
            log.error("message queue unreachable (%s): live updates stay in each process", error)
        for listener in self.listeners:
            try:
                listener(connected)
            except Exception:
                log.exception("telling clients the message queue changed failed")

    def _publish(self, data) -> None:
        if not self.queue_connected and time.monotonic() < self._retry_at:
            return  # this process's clients have it already; the others cannot be told now
        try:
            if not self.connected:
                self._redis_connect()
            self.redis.publish(self.channel, self.json.dumps(data))
        except RedisError as error:
            self.connected = False
            self._retry_at = time.monotonic() + self.RETRY_SECONDS
            self._changed(False, error)

    def _redis_listen_with_retries(self):
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                self._changed(True)
                yield from self.pubsub.listen()
            except RedisError as error:
                self._changed(False, error)
                time.sleep(self.RETRY_SECONDS)
