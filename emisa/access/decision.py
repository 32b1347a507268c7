"""The answer of the access policy: allowed or not, why, and how a denial is shown."""

from __future__ import annotations

from typing import NamedTuple


class Decision(NamedTuple):
    """A NamedTuple rather than a dataclass: lists are filtered through thousands of these."""

    allowed: bool
    reason: str
    # HTTP status a denial answers with: 401 not signed in, 403 not allowed, 404 not visible.
    status: int = 200

    def __bool__(self) -> bool:
        return self.allowed


def allow(reason: str = "allowed") -> Decision:
    return Decision(True, reason, 200)


def deny(reason: str, *, hide: bool = False, status: int | None = None) -> Decision:
    """A denial; ``hide`` answers 404 so that the caller learns nothing of the item's existence."""
    return Decision(False, reason, status or (404 if hide else 403))
