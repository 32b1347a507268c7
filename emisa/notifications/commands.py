"""``flask emisa send-digests``: the daily email digest (run it from cron once a day).

It also mails what an immediate send could not (the SMTP server was down): nothing is lost.
"""

from __future__ import annotations

import click

from emisa.cli import emisa_cli


@emisa_cli.command("send-digests")
def send_digests_command() -> None:
    """Mail unread notifications not mailed yet, as each user chose (needs EMISA_SMTP_URL)."""
    from emisa.mail import mail_configured
    from emisa.notifications.operations import send_digests

    if not mail_configured():
        click.echo("EMISA_SMTP_URL is not set: no digest sent")
        return
    sent = send_digests()
    click.echo(f"{sent} digest(s) sent")
