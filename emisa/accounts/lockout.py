"""Progressive lockout on password and code attempts, per account and per client address.

Only failures are counted, in a moving window kept by the `limits` library in the
same storage as Flask-Limiter (memory, or Redis when scaled out, so every process
sees the same counters). Two tiers: the configured threshold per short window,
and three times as many per day, which locks a persistent attacker out for longer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItemPerSecond
from limits.strategies import MovingWindowRateLimiter

from emisa.extensions import limiter

_DAY = 24 * 3600


@dataclass(frozen=True)
class Lockout:
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        minutes, seconds = divmod(self.retry_after, 60)
        wait = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
        return f"Too many failed attempts. Try again in {wait}."


def _tiers() -> list[RateLimitItemPerSecond]:
    threshold = current_app.config["EMISA_LOCKOUT_THRESHOLD"]
    window = int(current_app.config["EMISA_LOCKOUT_WINDOW"].total_seconds())
    return [
        RateLimitItemPerSecond(threshold, window),
        RateLimitItemPerSecond(threshold * 3, max(_DAY, window)),
    ]


def _strategy() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(limiter.storage)


def _keys(email: str, address: str) -> list[tuple[str, str]]:
    return [("lockout-account", email.strip().lower()), ("lockout-address", address)]


def current_lockout(email: str, address: str) -> Lockout | None:
    """The lockout in force for this account or address, if any."""
    strategy = _strategy()
    waits = []
    for item in _tiers():
        for namespace, key in _keys(email, address):
            if not strategy.test(item, namespace, key):
                reset_at = strategy.get_window_stats(item, namespace, key).reset_time
                waits.append(max(1, int(reset_at - time.time()) + 1))
    return Lockout(max(waits)) if waits else None


def register_failure(email: str, address: str) -> None:
    strategy = _strategy()
    for item in _tiers():
        for namespace, key in _keys(email, address):
            strategy.hit(item, namespace, key)
