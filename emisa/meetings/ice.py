"""ICE servers for WebRTC, with short-lived TURN credentials when a TURN secret is set.

coturn's ``use-auth-secret`` ("TURN REST API") accepts a username ``<expiry>:<id>``
whose password is base64(HMAC-SHA1(secret, username)); SHA-1 is what coturn
verifies, and the HMAC only has to outlive the credential's 12 hours. No
long-lived TURN password ever reaches a browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from flask import current_app

CREDENTIAL_TTL = 12 * 3600


def _is_turn(server: dict) -> bool:
    urls = server.get("urls", [])
    urls = [urls] if isinstance(urls, str) else urls
    return any(str(url).startswith(("turn:", "turns:")) for url in urls)


def ice_servers_for(user_id: int) -> list[dict]:
    servers = current_app.config["EMISA_ICE_SERVERS"]
    secret = current_app.config.get("EMISA_TURN_SECRET")
    if not secret:
        return servers
    username = f"{int(time.time()) + CREDENTIAL_TTL}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    credential = base64.b64encode(digest).decode()
    return [
        {**server, "username": username, "credential": credential}
        if _is_turn(server) and "username" not in server
        else server
        for server in servers
    ]
