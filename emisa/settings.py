"""Settings: defaults for the embedded platform, environment overrides, production checks.

The embedded default must run with no configuration at all, so secrets it needs
are generated once and kept in the data directory with mode 0600. Production
(``EMISA_ENV=production``) refuses to start unless real secrets are supplied.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

DEFAULT_SECRET_PLACEHOLDERS = {"", "change-me", "changeme", "dev", "secret", "default"}


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration would be unsafe or unusable."""


def _read_or_create_secret_file(path: Path, nbytes: int = 48) -> str:
    """Return the secret kept in ``path``, creating it with mode 0600 on first start."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def keep_private(data_dir: Path, database_url: str) -> None:
    """The data directory and the SQLite files are the owner's alone (0700 and 0600).

    The database file is created empty with mode 0600 before SQLite opens it, since SQLite
    gives its -wal and -shm files the database file's mode; files left by an older start
    are narrowed too.
    """
    os.chmod(data_dir, 0o700)
    if not database_url.startswith("sqlite"):
        return
    name = make_url(database_url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    database = Path(name)
    os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in (database, *database.parent.glob(database.name + "-*")):
        os.chmod(path, 0o600)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def chat_rate(value: str | None) -> tuple[int, int]:
    """``EMISA_MEETING_CHAT_RATE`` as "COUNT/SECONDS" (default 10 messages per 10 seconds)."""
    if not value:
        return (10, 10)
    try:
        count, seconds = (int(part) for part in value.split("/"))
    except ValueError:
        raise ConfigurationError("EMISA_MEETING_CHAT_RATE must look like 10/10.") from None
    if count < 1 or seconds < 1:
        raise ConfigurationError("EMISA_MEETING_CHAT_RATE needs positive numbers.")
    return (count, seconds)


def build_config(overrides: dict | None = None) -> dict:
    """Collect the configuration from defaults, the environment and ``overrides``."""
    overrides = dict(overrides or {})
    environment = overrides.get("EMISA_ENV", os.environ.get("EMISA_ENV", "embedded"))
    data_dir = Path(
        overrides.get("EMISA_DATA_DIR", os.environ.get("EMISA_DATA_DIR", "instance"))
    ).resolve()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    redis_url = overrides.get("EMISA_REDIS_URL", os.environ.get("EMISA_REDIS_URL") or None)
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL")
    if not database_url:
        database_url = f"sqlite:///{data_dir / 'emisa.db'}"

    secret_key = overrides.get("SECRET_KEY", os.environ.get("EMISA_SECRET_KEY"))
    if environment == "production":
        if not secret_key or secret_key.strip().lower() in DEFAULT_SECRET_PLACEHOLDERS:
            raise ConfigurationError(
                "EMISA_SECRET_KEY must be set to a long random value in production."
            )
        if len(secret_key) < 32:
            raise ConfigurationError("EMISA_SECRET_KEY must be at least 32 characters long.")
        if not (os.environ.get("EMISA_MASTER_KEY") or os.environ.get("EMISA_MASTER_KEYS")):
            raise ConfigurationError(
                "EMISA_MASTER_KEY (or EMISA_MASTER_KEYS) must be set in production."
            )
    elif not secret_key:
        secret_key = _read_or_create_secret_file(data_dir / "secret_key")

    secure_cookies = _env_bool("EMISA_SECURE_COOKIES", environment == "production")
    max_body = int(os.environ.get("EMISA_MAX_BODY_BYTES", 1024**2))
    config = {
        "EMISA_ENV": environment,
        "EMISA_DATA_DIR": data_dir,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "EMISA_REDIS_URL": redis_url,
        "EMISA_MASTER_KEY": os.environ.get("EMISA_MASTER_KEY"),
        "EMISA_MASTER_KEYS": os.environ.get("EMISA_MASTER_KEYS"),
        "EMISA_ICE_SERVERS": json.loads(
            os.environ.get("EMISA_ICE_SERVERS", '[{"urls": "stun:stun.l.google.com:19302"}]')
        ),
        # Requests running Python at once per process, and how long one waits for its turn
        # (emisa/admission.py); 0 slots turns admission control off.
        # Janus WebRTC server (VideoRoom plugin) on loopback: when set, meeting media goes
        # through it (an SFU) instead of a mesh; its secrets never reach a browser.
        "EMISA_JANUS_URL": os.environ.get("EMISA_JANUS_URL") or None,
        "EMISA_JANUS_API_SECRET": os.environ.get("EMISA_JANUS_API_SECRET") or None,
        "EMISA_JANUS_ADMIN_KEY": os.environ.get("EMISA_JANUS_ADMIN_KEY") or None,
        # Meeting chat messages one participant may send per window: (count, seconds).
        "EMISA_MEETING_CHAT_RATE": chat_rate(os.environ.get("EMISA_MEETING_CHAT_RATE")),
        # How often each process re-checks its live connections for rights that ended by time.
        "EMISA_MEETING_RECHECK_SECONDS": 15,
        # coturn's static-auth-secret, for short-lived TURN credentials (emisa/meetings/ice.py).
        "EMISA_TURN_SECRET": os.environ.get("EMISA_TURN_SECRET") or None,
        "EMISA_REQUEST_SLOTS": int(os.environ.get("EMISA_REQUEST_SLOTS", "1")),
        "EMISA_ADMISSION_WAIT": float(os.environ.get("EMISA_ADMISSION_WAIT", "1.0")),
        "EMISA_TOKEN_TTL": timedelta(hours=float(os.environ.get("EMISA_TOKEN_TTL_HOURS", "12"))),
        "EMISA_INVITATION_TTL": timedelta(days=7),
        # Browser sessions end after this much inactivity, and at the latest after the absolute TTL.
        "EMISA_SESSION_IDLE": timedelta(hours=2),
        "EMISA_SESSION_TTL": timedelta(hours=12),
        "EMISA_LOCKOUT_THRESHOLD": 10,
        "EMISA_LOCKOUT_WINDOW": timedelta(minutes=15),
        "EMISA_MAX_UPLOAD_BYTES": int(os.environ.get("EMISA_MAX_UPLOAD_BYTES", 2 * 1024**3)),
        # Every other request body, and a form's text fields (Flask's own default is 500 kB):
        # Werkzeug refuses more with 413 before parsing it.
        "MAX_CONTENT_LENGTH": max_body,
        "MAX_FORM_MEMORY_SIZE": max_body,
        # Socket.IO requests (open WebSockets, pending long polls) one client address may hold,
        # and how long a connection may stay without signing in (emisa/limits.py).
        "EMISA_SOCKETS_PER_ADDRESS": int(os.environ.get("EMISA_SOCKETS_PER_ADDRESS", "16")),
        "EMISA_SOCKET_SIGN_IN_SECONDS": float(os.environ.get("EMISA_SOCKET_SIGN_IN_SECONDS", "10")),
        "EMISA_GROUP_QUOTA_BYTES": int(os.environ.get("EMISA_GROUP_QUOTA_BYTES", 50 * 1024**3)),
        # One budget per account for directory and contact-point lookups, pages and API together.
        "EMISA_PEOPLE_LOOKUP_LIMIT": (
            os.environ.get("EMISA_PEOPLE_LOOKUP_LIMIT") or "60 per minute;1000 per day"
        ),
        # Each process says this often that it still holds its meeting connections; the
        # stays of a process silent for the timeout are ended (emisa/meetings/presence.py).
        "EMISA_MEETING_HEARTBEAT_SECONDS": float(
            os.environ.get("EMISA_MEETING_HEARTBEAT_SECONDS", "10")
        ),
        "EMISA_MEETING_PRESENCE_TIMEOUT_SECONDS": float(
            os.environ.get("EMISA_MEETING_PRESENCE_TIMEOUT_SECONDS", "30")
        ),
        # A person who joins a room where this many are already present starts with the
        # microphone off (open microphones cost the SFU most); 0 never starts anyone muted.
        "EMISA_MEETING_START_MUTED_FROM": int(
            os.environ.get("EMISA_MEETING_START_MUTED_FROM", "10")
        ),
        "EMISA_SMTP_URL": os.environ.get("EMISA_SMTP_URL"),
        "EMISA_SMTP_CA_FILE": os.environ.get("EMISA_SMTP_CA_FILE"),
        "EMISA_SMTP_TIMEOUT": float(os.environ.get("EMISA_SMTP_TIMEOUT", "10")),
        "EMISA_MAIL_FROM": os.environ.get("EMISA_MAIL_FROM", "emisa@localhost"),
        "EMISA_BASE_URL": os.environ.get("EMISA_BASE_URL"),
        "SESSION_COOKIE_NAME": "emisa_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": secure_cookies,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis unreachable: each process counts in its own memory until it answers again.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": bool(redis_url),
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {}
        ),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "emisa",
        "API_TITLE": "EMISA API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
        "PROPAGATE_EXCEPTIONS": False,
        "DEBUG": False,
    }
    config.update(overrides)
    keep_private(config["EMISA_DATA_DIR"], str(config["SQLALCHEMY_DATABASE_URI"]))
    _check_janus(config)
    _check_presence(config)
    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # One connection per thread and a generous busy timeout: writers queue, they do not fail.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    return config


def _check_janus(config: dict) -> None:
    """Janus drives media for every room, so a half-configured one must stop the start."""
    url = config.get("EMISA_JANUS_URL")
    if not url:
        return
    if not (config.get("EMISA_JANUS_API_SECRET") and config.get("EMISA_JANUS_ADMIN_KEY")):
        raise ConfigurationError(
            "EMISA_JANUS_URL needs EMISA_JANUS_API_SECRET and EMISA_JANUS_ADMIN_KEY as well "
            "(Janus's api_secret and the VideoRoom plugin's admin_key)."
        )
    host = urlsplit(url).hostname or ""
    if not url.startswith("http://") or host not in {"127.0.0.1", "::1", "localhost"}:
        raise ConfigurationError(
            "EMISA_JANUS_URL must be Janus's HTTP API on loopback, e.g. http://127.0.0.1:8088/janus."
        )


def _check_presence(config: dict) -> None:
    """A live process must not pass for dead: the timeout spans at least two heartbeats."""
    beat = config["EMISA_MEETING_HEARTBEAT_SECONDS"]
    if beat <= 0 or config["EMISA_MEETING_PRESENCE_TIMEOUT_SECONDS"] < 2 * beat:
        raise ConfigurationError(
            "EMISA_MEETING_PRESENCE_TIMEOUT_SECONDS must be at least twice "
            "EMISA_MEETING_HEARTBEAT_SECONDS, which must be positive."
        )
