"""Browsers and operating systems by name, from a raw User-Agent header (ua-parser).

The account page lists where one is signed in: "Firefox 128 on Windows 10" is something a
member recognises (or does not: then they end that session); the raw header is not.
"""

from __future__ import annotations

from functools import lru_cache

import ua_parser
from flask import Flask
from flask_babel import gettext as _


@lru_cache(maxsize=512)
def _parsed(header: str) -> tuple[str, str]:
    result = ua_parser.parse(header or "")
    browser = os_name = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        browser = " ".join(filter(None, (result.user_agent.family, result.user_agent.major)))
    if result.os is not None and result.os.family != "Other":
        os_name = " ".join(filter(None, (result.os.family, result.os.major)))
    return browser, os_name


def device_name(header: str | None) -> str:
    """ "Firefox 128 on Windows 10", "Python Requests 2", or "Unknown browser"."""
    browser, os_name = _parsed((header or "")[:300])
    if browser and os_name:
        return _("%(browser)s on %(os)s", browser=browser, os=os_name)
    return browser or os_name or _("Unknown browser")


def init_app(app: Flask) -> None:
    app.add_template_filter(device_name, "device")
