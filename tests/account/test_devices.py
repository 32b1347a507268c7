"""The account page names the browser and system of each session and API token."""

from __future__ import annotations

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_sessions_and_tokens_show_browser_and_system_by_name(app, make_user, login, token_for):
    persona = make_user(name="Device Dina")
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT=FIREFOX_WINDOWS)
    login(client, persona)
    issued = app.test_client()
    issued.environ_base.update(REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT=SAFARI_IPHONE)
    token_for(persona, client=issued)
    page = client.get("/account").get_data(as_text=True)
    assert "Firefox 128 on Windows 10" in page and "192.0.2.7" in page
    assert "Mobile Safari 17 on iOS 17" in page and "198.51.100.9" in page


def test_an_unknown_agent_is_named_as_such():
    from flask import Flask
    from flask_babel import Babel

    from emisa.useragents import device_name

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        assert device_name("") == "Unknown browser"
        assert device_name("python-requests/2.31") == "Python Requests 2"
