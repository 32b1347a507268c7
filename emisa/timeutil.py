"""UTC time, the only time the database stores."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, so SQLite and PostgreSQL compare and round-trip the same way."""
    return datetime.now(UTC).replace(tzinfo=None)
