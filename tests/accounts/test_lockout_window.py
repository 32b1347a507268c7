"""The lockout is bounded: once the window has passed, the right credentials work again."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.accounts.test_lockout import assert_locked, from_address, sign_in_password


@pytest.fixture
def app_config(app_config):
    # A short window (and threshold) keeps the test quick; the mechanism is the same.
    app_config["EMISA_LOCKOUT_WINDOW"] = timedelta(seconds=3)
    app_config["EMISA_LOCKOUT_THRESHOLD"] = 3
    return app_config


def test_lockout_ends_after_the_window(app, make_user):
    person = make_user()
    client = from_address(app, "203.0.113.11")
    for _ in range(3):
        assert sign_in_password(client, person.email, "still the wrong one").status_code == 401
    wait = assert_locked(sign_in_password(client, person.email, person.password))
    # Wait as long as the person was told to, then the right password works again.
    time.sleep(wait)
    assert sign_in_password(client, person.email, person.password).status_code == 302
