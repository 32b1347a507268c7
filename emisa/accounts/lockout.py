"""Progressive lockout on password and code attempts, per account; failures counted per address.

Only failures are counted, in a moving window kept by the `limits` library in the
same storage as Flask-Limiter (memory, or Redis when scaled out, so every process
sees the same counters). An account is throttled progressively: the configured
threshold per short window, then three times as many per day, which locks a
persistent attacker out for longer.

A client address is never locked out: one agency signs in from behind one NAT,
so one person's typos or one attacker there must not refuse the correct password
and code of every colleague. Failures per address are still counted, and crossing
the threshold is written to the audit log for the administrators to see.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from limits import RateLimitItemPerSecond

from emisa.extensions import SharedWindows, windows

_DAY = 24 * 3600


@dataclass(frozen=True)
class Lockout:
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        minutes, seconds = divmod(self.retry_after, 60)
        if minutes:
            return _(
                "Too many failed attempts. Try again in %(minutes)d min %(seconds)d s.",
                minutes=minutes,
                seconds=seconds,
            )
        return _("Too many failed attempts. Try again in %(seconds)d s.", seconds=seconds)


def _tiers() -> list[RateLimitItemPerSecond]:
    threshold = current_app.config["EMISA_LOCKOUT_THRESHOLD"]
    window = int(current_app.config["EMISA_LOCKOUT_WINDOW"].total_seconds())
    return [
        RateLimitItemPerSecond(threshold, window),
        RateLimitItemPerSecond(threshold * 3, max(_DAY, window)),
    ]


def _strategy() -> SharedWindows:
    return windows


_ACCOUNT, _ADDRESS = "lockout-account", "lockout-address"


def _account_key(email: str) -> str:
    return email.strip().lower()


def current_lockout(email: str) -> Lockout | None:
    """The lockout in force for this account, if any."""
    strategy, key = _strategy(), _account_key(email)
    waits = []
    for item in _tiers():
        if not strategy.test(item, _ACCOUNT, key):
            reset_at = strategy.get_window_stats(item, _ACCOUNT, key).reset_time
            waits.append(max(1, int(reset_at - time.time()) + 1))
    return Lockout(max(waits)) if waits else None


def register_failure(email: str, address: str) -> bool:
    """Count a failure against the account and the address.

    Returns True when this failure is the one that takes the address over its
    threshold (once per window), so the caller can raise the alarm.
    """
    strategy = _strategy()
    crossed = False
    for item in _tiers():
        strategy.hit(item, _ACCOUNT, _account_key(email))
        if strategy.hit(item, _ADDRESS, address):
            crossed |= strategy.get_window_stats(item, _ADDRESS, address).remaining == 0
    return crossed
