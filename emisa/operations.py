"""The one error an operation raises when it refuses what it was asked."""

from __future__ import annotations

# The machine-readable reason when an operation names none: the same words as the HTTP errors.
DEFAULT_CODES = {
    400: "invalid_input",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "too_many_attempts",
}


class OperationError(Exception):
    """A refused operation: ``message`` is for the person (already translated), ``status``
    the HTTP status that answers it, ``code`` the reason a script may test.

    Raised by operations (which flush and never commit); the one handler of the app answers
    it as a page, a JSON error or a Socket.IO ack, and the request, event or command it
    ended is rolled back by its boundary (``emisa.database``).
    """

    def __init__(self, message: str, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or DEFAULT_CODES.get(status, "refused")

    def __str__(self) -> str:
        return str(self.message)
