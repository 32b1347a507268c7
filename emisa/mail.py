"""Outgoing mail, only when ``EMISA_SMTP_URL`` is configured (smtp:// or smtps://).

smtp:// upgrades with STARTTLS and smtps:// speaks TLS from the start; either way the
server's certificate is verified (against ``EMISA_SMTP_CA_FILE`` when a private CA signs it).
Several mails share one connection (``outbox``): a meeting's forty invitations are one
handshake, not forty. Mail never carries group content: notices with links only.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(current_app.config.get("EMISA_SMTP_URL"))


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=current_app.config.get("EMISA_SMTP_CA_FILE") or None)


def _connect() -> smtplib.SMTP:
    parts = urlsplit(current_app.config["EMISA_SMTP_URL"])
    timeout = float(current_app.config.get("EMISA_SMTP_TIMEOUT", 10))
    if parts.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, timeout=timeout, context=_tls_context()
        )
    else:
        smtp = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=timeout)
        smtp.starttls(context=_tls_context())
    if parts.username:
        smtp.login(unquote(parts.username), unquote(parts.password or ""))
    return smtp


def _message(to: str, subject: str, body: str, language: str | None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["EMISA_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)  # (clears every Content-* header: the language comes after)
    if language:
        message["Content-Language"] = language
    return message


class Outbox:
    """One SMTP connection, opened at the first mail; ``send`` returns False (and logs) when a
    mail could not be sent. A refused recipient fails its mail alone; a connection that failed
    is not tried again for the rest (they wait for the next digest run)."""

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None
        self._broken = False

    def send(self, to: str, subject: str, body: str, *, language: str | None = None) -> bool:
        """A plain-text mail; ``language`` becomes Content-Language (the recipient's)."""
        if self._broken or not mail_configured():
            return False
        try:
            if self._smtp is None:
                self._smtp = _connect()
            self._smtp.send_message(_message(to, subject, body, language))
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
            log.exception("the SMTP server refused the mail to %s", to)  # the next may pass
            return False
        except (OSError, smtplib.SMTPException):
            log.exception("could not send mail to %s", to)
            self._broken = True
            return False
        return True

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                log.warning("the SMTP connection did not close cleanly")
            self._smtp = None


@contextmanager
def outbox() -> Iterator[Outbox]:
    box = Outbox()
    try:
        yield box
    finally:
        box.close()


def send_mail(to: str, subject: str, body: str, *, language: str | None = None) -> bool:
    """Send one plain-text mail; returns False (and logs) when it could not be sent."""
    with outbox() as box:
        return box.send(to, subject, body, language=language)
