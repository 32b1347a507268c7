"""Backups of a running platform, restores into an empty one, and custody of the master key."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from emisa.backup import commands  # noqa: F401  (registers the CLI commands)
