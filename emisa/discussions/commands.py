"""``flask emisa rerender-posts``: bring stored HTML up to the current sanitiser."""

from __future__ import annotations

import click

from emisa.cli import emisa_cli


@emisa_cli.command("rerender-posts")
def rerender_posts_command() -> None:
    """Re-render posts whose HTML an older sanitiser version produced."""
    from emisa.discussions.operations import rerender_stale
    from emisa.text import SANITISER_VERSION

    done = rerender_stale()
    click.echo(f"{done} posts re-rendered with {SANITISER_VERSION}")
