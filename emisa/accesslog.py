"""The server's access log records where a request went, never what it carried.

Full URLs hold secrets and group content: search terms and other query text, the
personal calendar-feed token, unused invitation tokens (anyone who reads them could
take over an invited account). gunicorn (``python app.py`` and production alike) logs
through ``RedactingLogger``: the path without its query, the token segment of secret
paths replaced, no referrer, no cookie or authorization header, no environment.
Werkzeug's development server (``flask run``) logs its request lines through the same
redaction (``redact_werkzeug_log``).
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# Routes whose path carries a bearer secret; tests/test_access_log.py checks that every
# route with a free-text path segment is listed here.
SECRET_PATHS = re.compile(r"^(/invitation/|/meetings/feed/)[^/]+")
_SECRET_HEADERS = {"{authorization}i", "{cookie}i", "{set-cookie}o", "{referer}i"}


def redact_path(path: str) -> str:
    """The path alone: the query is dropped and a secret path segment replaced."""
    path = (path or "").split("?", 1)[0]
    return SECRET_PATHS.sub(lambda match: match.group(1) + REDACTED, path)


class RedactingLogger(Logger):
    """gunicorn's logger with every access-log atom that could carry a secret made safe."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO", ""))
        safe = {
            key: value
            for key, value in atoms.items()
            if not key.endswith("}e") and key not in _SECRET_HEADERS
        }
        safe.update(
            r=f"{environ['REQUEST_METHOD']} {path} {environ['SERVER_PROTOCOL']}",
            U=path,
            q="",
            f="-",
        )
        return safe


class _RequestLineFilter(logging.Filter):
    """Werkzeug logs ``"METHOD /path?query PROTOCOL"`` as the first argument of its record."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args and isinstance(args[0], str) and " " in args[0]:
            method, _, rest = args[0].partition(" ")
            target, _, protocol = rest.rpartition(" ")
            record.args = (f"{method} {redact_path(target)} {protocol}", *args[1:])
        return True


_REQUEST_LINES = _RequestLineFilter()


def redact_werkzeug_log() -> None:
    logger = logging.getLogger("werkzeug")
    if _REQUEST_LINES not in logger.filters:
        logger.addFilter(_REQUEST_LINES)
