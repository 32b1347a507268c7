"""Janus settings are checked at start: half a configuration or a Janus off loopback stops it."""

from __future__ import annotations

import pytest

from emisa.settings import ConfigurationError, build_config

SECRETS = {"EMISA_JANUS_API_SECRET": "a" * 32, "EMISA_JANUS_ADMIN_KEY": "b" * 32}


def test_without_janus_rooms_use_a_mesh(tmp_path):
    config = build_config({"EMISA_DATA_DIR": tmp_path})
    assert config["EMISA_JANUS_URL"] is None


def test_janus_on_loopback_with_both_secrets_is_accepted(tmp_path):
    url = "http://127.0.0.1:8088/janus"
    config = build_config({"EMISA_DATA_DIR": tmp_path, "EMISA_JANUS_URL": url, **SECRETS})
    assert config["EMISA_JANUS_URL"] == url


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"EMISA_JANUS_API_SECRET": "a" * 32}, "EMISA_JANUS_ADMIN_KEY"),
        ({"EMISA_JANUS_ADMIN_KEY": "b" * 32}, "EMISA_JANUS_API_SECRET"),
        ({**SECRETS, "EMISA_JANUS_URL": "http://198.51.100.7:8088/janus"}, "loopback"),
        ({**SECRETS, "EMISA_JANUS_URL": "https://127.0.0.1:8089/janus"}, "loopback"),
    ],
)
def test_incomplete_or_exposed_janus_configuration_refuses_to_start(tmp_path, overrides, message):
    overrides = {
        "EMISA_DATA_DIR": tmp_path,
        "EMISA_JANUS_URL": "http://127.0.0.1:8088/janus",
        **overrides,
    }
    with pytest.raises(ConfigurationError, match=message):
        build_config(overrides)
