"""A real Janus for the tests, started from the production configuration in config/janus/
with the test's own secrets, port, RTP range and configuration folder."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "config" / "janus"
FILES = ("janus.jcfg", "janus.transport.http.jcfg", "janus.plugin.videoroom.jcfg")


@dataclass
class JanusServer:
    url: str
    api_secret: str
    admin_key: str
    process: subprocess.Popen
    log: Path

    @property
    def env(self) -> dict:
        return {
            "EMISA_JANUS_URL": self.url,
            "EMISA_JANUS_API_SECRET": self.api_secret,
            "EMISA_JANUS_ADMIN_KEY": self.admin_key,
        }


def _set(text: str, key: str, value: str) -> str:
    """Replace the value of ``key = ...`` in a jcfg file; the key must be there."""
    pattern = re.compile(rf"^(\s*){re.escape(key)} = .*$", re.MULTILINE)
    assert pattern.search(text), f"{key} missing from the production configuration"
    return pattern.sub(lambda match: f"{match.group(1)}{key} = {value}", text, count=1)


def write_config(folder: Path, port: int, rtp_ports: str) -> tuple[str, str]:
    api_secret, admin_key = secrets.token_hex(16), secrets.token_hex(16)
    core = (CONFIG / FILES[0]).read_text()
    core = _set(core, "configs_folder", json.dumps(str(folder)))
    core = _set(core, "api_secret", json.dumps(api_secret))
    core = _set(core, "rtp_port_range", json.dumps(rtp_ports))
    http = _set((CONFIG / FILES[1]).read_text(), "port", str(port))
    videoroom = _set((CONFIG / FILES[2]).read_text(), "admin_key", json.dumps(admin_key))
    for name, text in zip(FILES, (core, http, videoroom), strict=True):
        (folder / name).write_text(text)
    return api_secret, admin_key


def start_janus(folder: Path, port: int, rtp_ports: str = "42000-42199") -> JanusServer:
    executable = shutil.which("janus")
    assert executable, "install Debian's janus package (the CI script does)"
    api_secret, admin_key = write_config(folder, port, rtp_ports)
    log = folder / "janus.log"
    process = subprocess.Popen(
        [executable, "-F", str(folder), "--disable-colors"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/janus"
    body = json.dumps({"janus": "info", "transaction": "ready", "apisecret": api_secret}).encode()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(url, data=body, timeout=1) as answer:
                if json.loads(answer.read()).get("janus") == "server_info":
                    return JanusServer(url, api_secret, admin_key, process, log)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("Janus did not start within 20 s:\n" + log.read_text()[-3000:])


def stop_janus(server: JanusServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
