"""How refused document operations and unreadable files are answered, page or JSON."""

from __future__ import annotations

import logging

from flask import Flask

from emisa import audit
from emisa.documents.operations import ContentUnavailable
from emisa.errors import error_response
from emisa.storage import StorageFull

log = logging.getLogger(__name__)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(StorageFull)
    def _full(error: StorageFull):
        # 507: the request was fine; the server has no room for it now.
        log.error("ALERT: an upload was refused, the blob store is full: %s", error.__cause__)
        audit.record_event("document.upload_failed", outcome="failed", details={"reason": "full"})
        return error_response(
            507,
            "The server has no room left to store this file, so nothing was stored. "
            "Try again later; the administrators have been alerted.",
            "storage_full",
        )

    @app.errorhandler(ContentUnavailable)
    def _unreadable(_error: ContentUnavailable):
        # 500, not 409: nothing the caller does can fix it; an operator must restore the file.
        return error_response(
            500,
            "This file failed its integrity check (it is damaged, missing or its key is gone), "
            "so it was not sent. The incident was recorded and the administrators alerted.",
            "integrity_failure",
        )
