"""@mentions: ``@Display Name`` of a group member, as the editor's autocomplete inserts it."""

from __future__ import annotations

from collections.abc import Iterable


def extract_mentions(source: str, members: Iterable[tuple[int, str]]) -> set[int]:
    """Ids of members whose ``@Name`` appears in ``source`` (case-insensitive, whole name).

    Names may hold spaces and any script, so candidates are matched against the
    group's member list rather than parsed with a pattern; longer names win over
    a shorter name they start with ("@Ana Maria" is not "@Ana").
    """
    if "@" not in (source or ""):
        return set()
    text = source.casefold()
    found: set[int] = set()
    taken: list[tuple[int, int]] = []
    for user_id, name in sorted(members, key=lambda m: -len(m[1])):
        needle = "@" + name.casefold()
        start = text.find(needle)
        while start != -1:
            end = start + len(needle)
            boundary = end == len(text) or not (text[end].isalnum() or text[end] == "_")
            overlaps = any(s <= start < e for s, e in taken)
            if boundary and not overlaps:
                found.add(user_id)
                taken.append((start, end))
            start = text.find(needle, end)
    return found
