"""A real SMTP server for mail tests: aiosmtpd on a free port, STARTTLS with a throwaway CA.

The platform connects, upgrades with STARTTLS and verifies the certificate exactly as in
production (``EMISA_SMTP_CA_FILE`` names the test CA); the server keeps each message.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class _Inbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, _server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@dataclass
class SmtpServer:
    url: str
    ca_file: str
    inbox: _Inbox

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.inbox.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp(directory: Path) -> tuple[Controller, SmtpServer]:
    cert, key = _certificate(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = _Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="localhost", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    return controller, SmtpServer(f"smtp://localhost:{port}", str(cert), inbox)
