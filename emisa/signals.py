"""Signals that let features react to account and membership changes without importing each other.

The meetings feature, for example, disconnects a live socket the moment its
account loses access.
"""

from blinker import Namespace
from flask import current_app

_signals = Namespace()

# sender: the app; kwargs: user_id. Fired when an account is signed out everywhere.
access_revoked = _signals.signal("access-revoked")
# sender: the app; kwargs: group_id, user_id. Fired when someone leaves or is removed from a group.
membership_ended = _signals.signal("membership-ended")
# sender: the app; kwargs: any of user_id, group_id, meeting_id (at least one). Fired by every
# change that may take a right away (a re-marking, a role lowered, a group's countries narrowed,
# a session or token revoked, an account's country or platform role corrected): once it
# commits, live connections in that scope are checked again.
rights_narrowed = _signals.signal("rights-narrowed")

# sender: the app; kwargs: group_id, kind ("document", "thread", "post", ...), item_id, text.
# Fired (through ``announce_text``) whenever an item's searchable text is written or moves to
# another group; ``text`` is plaintext held in memory only, for the blind index
# (``emisa.search``), which stores nothing but keyed tokens.
content_changed = _signals.signal("content-changed")
# sender: the app; kwargs: kind, item_id. The item (or its text) is gone; its index tokens go too.
content_removed = _signals.signal("content-removed")
# sender: the app; kwargs: user_ids (list[int]), kind (str, emisa.notifications.kinds.KINDS),
# params (dict: names of people and groups, a TLP label, an ISO time; never a title or a body),
# link (str), subject (str, "<item type>:<id>", groups unread notices about one item).
# An in-app notification, rendered in the reader's language; callers choose the recipients
# through the access policy.
notify = _signals.signal("notify")
# sender: the app; kwargs: group_id. Fired before a group is deleted and its keys shredded,
# so features can delete their blobs and rows.
group_deleting = _signals.signal("group-deleting")


def announce_text(group_id: int, kind: str, item_id: int, text: str) -> None:
    """Send ``content_changed``: the one way a feature hands its searchable text to search."""
    content_changed.send(
        current_app._get_current_object(), group_id=group_id, kind=kind, item_id=item_id, text=text
    )


def announce_removal(kind: str, item_id: int) -> None:
    """Send ``content_removed``: the item's text is gone from the feature that wrote it."""
    content_removed.send(current_app._get_current_object(), kind=kind, item_id=item_id)
