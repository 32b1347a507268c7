"""Signals that let features react to account and membership changes without importing each other.

The meetings feature, for example, disconnects a live socket the moment its
account loses access.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the app; kwargs: user_id. Fired when an account is signed out everywhere.
access_revoked = _signals.signal("access-revoked")
# sender: the app; kwargs: group_id, user_id. Fired when someone leaves or is removed from a group.
membership_ended = _signals.signal("membership-ended")
