"""Test helpers that act as a person would: read the CSRF token from a page, sign in for real."""

from __future__ import annotations

import re
import time

import pyotp

CSRF_INPUT = re.compile(r'name="(?:[\w-]+-)?csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client, url: str, data: dict, *, page: str | None = None, prefix: str = "", **kwargs):
    """POST a form the way a browser would: with the CSRF token of a page it just loaded."""
    html = client.get(page or url, follow_redirects=True).get_data(as_text=True)
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    return client.post(url, data={name: csrf_from(html), **data}, **kwargs)


def totp_code(secret: str, last_step: int = 0) -> str:
    """A valid code whose time step is newer than ``last_step``, waiting for one if needed.

    Only the current and the next step are used: the server accepts one step either side, so
    either stays valid even when a step boundary passes before the request arrives.
    """
    totp = pyotp.TOTP(secret)
    while True:
        now = int(time.time() // 30)
        for step in (now, now + 1):
            if step > last_step:
                return totp.at(step * 30)
        time.sleep(1)
