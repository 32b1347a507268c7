"""Who may see a profile field: the vocabulary the access rules and the people models share.

It belongs to the policy (like roles and countries), so the directory depends on it and not
the other way round.
"""

from __future__ import annotations

from enum import IntEnum

from flask_babel import lazy_gettext as _l


class Visibility(IntEnum):
    """Who may see a field; ordered, so "visible to at least co-members" is one comparison."""

    NOBODY = 0
    CO_MEMBERS = 1
    PLATFORM = 2

    @property
    def word(self) -> str:
        return VISIBILITY_WORDS[self]

    @classmethod
    def from_word(cls, word: str) -> Visibility:
        for level, name in VISIBILITY_WORDS.items():
            if name == word:
                return level
        raise ValueError(word)


VISIBILITY_WORDS = {
    Visibility.NOBODY: "nobody",
    Visibility.CO_MEMBERS: "co-members",
    Visibility.PLATFORM: "platform",
}
VISIBILITY_LABELS = {
    Visibility.NOBODY: _l("Nobody"),
    Visibility.CO_MEMBERS: _l("Members of a group I belong to"),
    Visibility.PLATFORM: _l("Every active account"),
}

# Every field a visibility applies to, and its default: private unless the member chooses.
# "profile" is the whole profile: a field is never seen by more people than the profile.
FIELD_DEFAULTS: dict[str, Visibility] = {
    "profile": Visibility.CO_MEMBERS,
    "name": Visibility.CO_MEMBERS,
    "organisation": Visibility.CO_MEMBERS,
    "country": Visibility.CO_MEMBERS,
    "position": Visibility.CO_MEMBERS,
    "agency_type": Visibility.CO_MEMBERS,
    "languages": Visibility.CO_MEMBERS,
    "expertise": Visibility.CO_MEMBERS,
    "bio": Visibility.CO_MEMBERS,
    "photo": Visibility.CO_MEMBERS,
    "phone": Visibility.NOBODY,
    "secure_email": Visibility.NOBODY,
    "other_contact": Visibility.NOBODY,
}
FIELDS = tuple(name for name in FIELD_DEFAULTS if name != "profile")
# Known to platform admins for every account already (they create and manage accounts).
IDENTITY_FIELDS = ("name", "organisation", "country")
CONTACT_FIELDS = ("phone", "secure_email", "other_contact")
