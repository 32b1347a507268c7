"""Entries of the main navigation that features add (the library, notifications, ...), and the
``bdi`` filter that isolates user content in pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask_login import current_user
from markupsafe import Markup


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Callable[[], str] | str

    @property
    def text(self) -> str:
        return self.label() if callable(self.label) else self.label


NAV_ITEMS: list[NavItem] = []


def register_nav(endpoint: str, label: Callable[[], str] | str) -> None:
    if all(item.endpoint != endpoint for item in NAV_ITEMS):
        NAV_ITEMS.append(NavItem(endpoint, label))


def isolate(value) -> Markup:
    """User content (a name, a title, a file name) inside interface text: <bdi> takes its own
    direction from its first strong letter, so an Arabic name next to an English time, or a
    French title in an Arabic sentence, reads whole and leaves the text around it in order."""
    return Markup("<bdi>{}</bdi>").format(value)


def init_app(app: Flask) -> None:
    app.add_template_filter(isolate, "bdi")

    @app.context_processor
    def _navigation():
        from emisa.access import can

        signed_in = current_user.is_authenticated and current_user.is_fully_authenticated
        return {
            "nav_items": NAV_ITEMS if signed_in else [],
            # Accounts, the audit log and new groups: shown to whom the policy lets administer.
            "can_administer": signed_in and bool(can(current_user, "administer")),
        }
