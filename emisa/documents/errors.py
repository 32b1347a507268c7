"""How refused document operations and unreadable files are answered, page or JSON."""

from __future__ import annotations

from flask import Flask

from emisa.documents.operations import ContentUnavailable, DocumentError
from emisa.errors import error_response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DocumentError)
    def _refused(error: DocumentError):
        return error_response(error.status, str(error), error.code)

    @app.errorhandler(ContentUnavailable)
    def _unreadable(_error: ContentUnavailable):
        # 500, not 409: nothing the caller does can fix it; an operator must restore the file.
        return error_response(
            500,
            "This file failed its integrity check (it is damaged, missing or its key is gone), "
            "so it was not sent. The incident was recorded and the administrators alerted.",
            "integrity_failure",
        )
