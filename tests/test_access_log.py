"""The access log's redaction: no query text, no secret path segment, for every route."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter, PathConverter
from werkzeug.routing.converters import AnyConverter

from emisa.accesslog import REDACTED, SECRET_PATHS, redact_path


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/search?q=returnee+network", "/search"),
        ("/api/v1/people?q=smith&country=BE", "/api/v1/people"),
        ("/invitation/Zx3_secret-Token", f"/invitation/{REDACTED}"),
        ("/meetings/feed/Abc_123-xyz.ics?x=1", f"/meetings/feed/{REDACTED}"),
        ("/meetings/12/room", "/meetings/12/room"),
        ("/socket.io/?EIO=4&transport=websocket&sid=abc", "/socket.io/"),
    ],
)
def test_paths_are_logged_without_query_or_secret(path, logged):
    assert redact_path(path) == logged


def test_every_route_with_a_free_text_segment_is_redacted(app):
    """A new route taking a token in its path cannot be forgotten: it must be listed."""
    safe = (IntegerConverter, AnyConverter, PathConverter)  # numbers, fixed words, static files
    free_text = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if any(not isinstance(c, safe) for c in rule._converters.values())
    ]
    assert free_text, "the test found no such route; it would pass whatever the code"
    for rule in free_text:
        sample = rule.split("<", 1)[0] + "SECRETVALUE" + rule.split(">", 1)[1]
        assert "SECRETVALUE" not in redact_path(sample), rule
        assert SECRET_PATHS.match(sample)


def test_the_development_servers_request_lines_are_redacted(app, caplog):
    """``flask run`` (Werkzeug) logs request lines through the same redaction."""
    import logging
    import threading

    import requests
    from werkzeug.serving import make_server

    from tests.conftest import free_port

    caplog.set_level(logging.INFO, logger="werkzeug")
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in ("/invitation/Tok3n_secret?q=terms", "/search?q=returnee+network"):
            requests.get(f"http://127.0.0.1:{port}{path}", timeout=10, allow_redirects=False)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any(f"GET /invitation/{REDACTED} HTTP/1.1" in line for line in lines), lines
    assert any("GET /search HTTP/1.1" in line for line in lines), lines
    assert not any("Tok3n" in line or "returnee" in line for line in lines)
