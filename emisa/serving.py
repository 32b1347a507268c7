"""The gunicorn worker that serves EMISA: ``gthread``, with silent connections kept off threads.

gunicorn's ``gthread`` hands every new connection to a request thread, which then waits up
to five seconds for the request's first bytes before giving the connection back to the main
loop. A few hundred connections that send nothing (opened by anyone, in a second) therefore
queue every real request behind minutes of waiting threads. This worker lets a new
connection wait in the main loop instead, on the same list gunicorn keeps for connections
handed back that way, and closed like them after ``keepalive`` seconds of silence: a thread
is taken only once there is a request to read.
"""

from __future__ import annotations

import selectors
import time
from functools import partial

from gunicorn.workers.gthread import ThreadWorker


class EmisaThreadWorker(ThreadWorker):
    def enqueue_req(self, conn):
        if conn.initialized or conn.data_ready:
            super().enqueue_req(conn)
            return
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )
