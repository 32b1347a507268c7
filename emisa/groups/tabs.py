"""Tabs on a group's page; each content feature registers its own in ``init_app``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupTab:
    endpoint: str  # a view taking ``group_id``
    label: str
    # The policy action on the group that shows the tab (content tabs: "read_content").
    action: str = "read_content"


GROUP_TABS: list[GroupTab] = []


def tabs_for(user, group) -> list[GroupTab]:
    """The tabs of ``group`` that ``user`` may open, as the policy says."""
    from emisa.access import can

    return [tab for tab in GROUP_TABS if can(user, tab.action, group)]


def register_tab(endpoint: str, label: str, action: str = "read_content") -> None:
    if all(tab.endpoint != endpoint for tab in GROUP_TABS):
        GROUP_TABS.append(GroupTab(endpoint, label, action))
