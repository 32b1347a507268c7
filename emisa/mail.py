"""Outgoing mail, only when ``EMISA_SMTP_URL`` is configured (smtp:// or smtps://).

Mail never carries group content: invitations and notices with links only.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(current_app.config.get("EMISA_SMTP_URL"))


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text mail; returns False (and logs) when it could not be sent."""
    url = current_app.config.get("EMISA_SMTP_URL")
    if not url:
        return False
    parts = urlsplit(url)
    message = EmailMessage()
    message["From"] = current_app.config["EMISA_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    try:
        with smtp_class(
            parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 587)
        ) as smtp:
            if parts.scheme == "smtp":
                smtp.starttls()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send mail to %s", to)
        return False
    return True
