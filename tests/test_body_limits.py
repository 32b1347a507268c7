"""Request bodies other than uploads are refused with 413 before anything reads them."""

from __future__ import annotations

import io
import select
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import bearer, free_port, start_server, stop_server

LIMIT = 1024 * 1024
HUGE = 400 * 1024 * 1024


class Zeros(io.RawIOBase):
    """``size`` bytes of a JSON-looking body, made as they are read, counting what was read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # the test client measures the stream this way

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = offset + (self.size if whence == io.SEEK_END else 0)
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        length = max(0, min(len(buffer), self.size - self.position))
        buffer[:length] = b" " * length
        self.position += length
        self.read_bytes += length
        return length


def test_a_declared_oversized_json_body_is_refused_unread(client):
    body = Zeros(HUGE)
    response = client.post(
        "/api/v1/auth/token",
        input_stream=body,
        content_length=HUGE,
        content_type="application/json",
    )
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "too_large" and "1.0 MiB" in error["message"]
    assert body.read_bytes == 0


def test_a_chunked_oversized_body_is_cut_at_the_limit(client):
    body = Zeros(HUGE)
    response = client.post(
        "/api/v1/auth/token",
        input_stream=body,
        content_type="application/json",
        environ_overrides={"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert body.read_bytes <= LIMIT + 64 * 1024


def test_an_oversized_form_gets_the_error_page(client):
    response = client.post("/login", data={"email": "x@example.org", "password": "p" * (LIMIT + 1)})
    assert response.status_code == 413
    assert "text/html" in response.content_type
    assert "1.0 MiB" in response.get_data(as_text=True)


def test_a_body_under_the_limit_is_read_as_before(client):
    response = client.post(
        "/api/v1/auth/token", json={"email": "nobody@example.org", "password": "x" * 1000}
    )
    assert response.status_code == 400


def test_uploads_keep_their_own_larger_limit(app, client, make_user, make_group, token_for):
    owner = make_user()
    group = make_group(members={owner: "coordinator"})
    data = bytes(range(256)) * (3 * LIMIT // 256)
    response = client.post(
        f"/api/v1/groups/{group}/documents",
        headers=bearer(token_for(owner)),
        data={"file": (io.BytesIO(data), "large.bin"), "title": "Large", "tlp": "TLP:AMBER"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["size"] == len(data)


def worker_rss(server_pid: int) -> int:
    """Resident bytes of the gunicorn worker, the child of the ``python app.py`` process."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children")
    deadline = time.monotonic() + 10
    while not children.read_text().split() and time.monotonic() < deadline:
        time.sleep(0.1)  # the master listens before its worker has started
    status = Path(f"/proc/{children.read_text().split()[0]}/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kib) * 1024


@pytest.fixture
def served(app_config):
    port = free_port()
    process = start_server(app_config, port)
    yield f"http://127.0.0.1:{port}", process
    stop_server(process)


def send_until_answered(port: int, head: bytes, chunk: bytes, within: float = 30):
    """Send ``head``, then ``chunk`` over and over until the server answers; return what was
    sent and the answer. The test never holds more than one chunk."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    connection.sendall(head)
    connection.setblocking(False)
    sent, answer = 0, b""
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline and sent < HUGE:
            readable, writable, _ = select.select([connection], [connection], [], 1)
            if readable:
                try:
                    data = connection.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer and answer.endswith(b"}"):
                    break
            elif writable:
                try:
                    sent += connection.send(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
    finally:
        connection.close()
    return sent, answer


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_live_server_refuses_400_mb_without_reading_it(served, chunked):
    url, process = served
    port = urlsplit(url).port
    before = worker_rss(process.pid)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}"
    head = (
        f"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    ).encode()
    piece = b" " * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    sent, answer = send_until_answered(port, head, chunk)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"code":"too_large"' in answer.replace(b" ", b"")
    # What the kernel's buffers took on both sides, not the 400 MB.
    assert sent < 32 * 1024 * 1024
    assert worker_rss(process.pid) - before < 64 * 1024 * 1024
