"""Outgoing mail, only when ``EMISA_SMTP_URL`` is configured (smtp:// or smtps://).

smtp:// upgrades with STARTTLS and smtps:// speaks TLS from the start; either way the
server's certificate is verified (against ``EMISA_SMTP_CA_FILE`` when a private CA signs it).
Mail never carries group content: notices with links only.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(current_app.config.get("EMISA_SMTP_URL"))


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=current_app.config.get("EMISA_SMTP_CA_FILE") or None)


def send_mail(to: str, subject: str, body: str, *, language: str | None = None) -> bool:
    """Send a plain-text mail; returns False (and logs) when it could not be sent.

    ``language`` becomes the Content-Language header: the recipient's, which the text is in.
    """
    url = current_app.config.get("EMISA_SMTP_URL")
    if not url:
        return False
    parts = urlsplit(url)
    message = EmailMessage()
    message["From"] = current_app.config["EMISA_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)  # (clears every Content-* header: the language comes after)
    if language:
        message["Content-Language"] = language
    timeout = float(current_app.config.get("EMISA_SMTP_TIMEOUT", 10))
    try:
        if parts.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(
                parts.hostname, parts.port or 465, timeout=timeout, context=_tls_context()
            )
        else:
            smtp = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=timeout)
        with smtp:
            if parts.scheme != "smtps":
                smtp.starttls(context=_tls_context())
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send mail to %s", to)
        return False
    return True
