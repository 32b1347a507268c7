"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py app:app``.

Each gunicorn process runs ONE worker with many threads, and Flask-SocketIO runs
in its "threading" async mode with simple-websocket:

- Socket.IO keeps a client's session in the process that accepted it; HTTP long
  polling (the fallback on networks that block WebSocket) only works if every
  request of that client reaches that process. gunicorn balances requests over
  its workers at random, so one worker per process, and nginx pins each client
  to a process (``config/nginx.conf``). Scale out by running more processes
  (one systemd unit per port); with ``EMISA_REDIS_URL`` they share Socket.IO
  events, rate-limit counters and lockouts through Redis.
- Threading needs no monkey-patching: psycopg, redis-py, cryptography and the
  audit log's locks behave exactly as in tests. eventlet is no longer
  maintained by its authors; gevent would need psycopg and redis patched to
  cooperate, and a missed blocking call stalls every meeting of the process.
  A thread per live WebSocket costs memory (~100 KiB of stack in practice) but
  keeps each meeting event isolated; size ``EMISA_THREADS`` to the expected
  concurrent connections per process plus headroom for page requests.
"""

from __future__ import annotations

import os

bind = os.environ.get("EMISA_BIND", "127.0.0.1:8001")
workers = 1  # never more: see above; run more processes instead
# gthread, keeping connections that send nothing off the request threads (emisa/serving.py)
worker_class = "emisa.serving.EmisaThreadWorker"
threads = int(os.environ.get("EMISA_THREADS", "200"))
# gthread's heartbeat runs in the worker's main loop, not in request threads, so a
# WebSocket open for hours does not trip it; a frozen worker is still replaced.
timeout = 120
graceful_timeout = 30
keepalive = 5
# The app is created in the worker, after the fork: no database connection or Redis
# listener is ever shared between processes.
preload_app = False
# nginx on the same host sets X-Forwarded-For/Proto; the app trusts exactly one proxy
# (EMISA_TRUSTED_PROXIES=1), so gunicorn itself need not rewrite anything.
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
# Paths without query text, secret path segments replaced (emisa/accesslog.py).
logger_class = "emisa.accesslog.RedactingLogger"
errorlog = "-"
# Every file a worker writes (blobs, database, keys) is the service account's alone.
umask = 0o077
loglevel = os.environ.get("EMISA_LOG_LEVEL", "info")
# Request lines and headers only; bodies are streamed by the app.
limit_request_line = 8190


def on_starting(server):
    """Upgrade the schema once, in the master, before any worker serves a request."""
    from emisa import create_app
    from emisa.extensions import db
    from emisa.platform import prepare_platform

    app = create_app()
    prepare_platform(app)
    with app.app_context():
        db.engine.dispose()
