"""UTC time, the only time the database stores."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, so SQLite and PostgreSQL compare and round-trip the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


def rfc3339(moment: datetime) -> str:
    """``moment`` as RFC 3339 with its offset, ``Z``: a naive value is the database's UTC.

    Without the offset a client reads the time in its own zone (Amman, Rabat ...).
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat() + "Z"
