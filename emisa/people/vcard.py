"""vCard 4.0 (RFC 6350) of a contact, with only the fields the viewer may see.

Written here rather than with ``vobject``: its last release is two years old and it pulls
in ``pytz``; what a card of a few text properties needs is the standard's escaping and line
folding, done below and tested (``tests/people/test_vcard.py``).
"""

from __future__ import annotations

from emisa.access.countries import country_name
from emisa.people.models import agency_label

FOLD_AT = 75  # octets per line, CRLF excluded (RFC 6350 3.2)


def escape(value: str) -> str:
    """A TEXT value (RFC 6350 3.4): backslash, comma and semicolon escaped, newlines as \\n."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, FOLD_AT
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def card(entry: dict) -> str:
    """The card of ``entry`` (as ``operations.shown`` built it: hidden fields are absent)."""
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"FN:{escape(entry['name'])}"]
    if entry.get("organisation"):
        lines.append(f"ORG:{escape(entry['organisation'])}")
    if entry.get("position"):
        lines.append(f"TITLE:{escape(entry['position'])}")
    if entry.get("agency_type"):
        lines.append(f"ROLE:{escape(agency_label(entry['agency_type']))}")
    if entry.get("country"):
        # ADR: post office box; extended; street; locality; region; code; country.
        lines.append(f"ADR;TYPE=work:;;;;;;{escape(country_name(entry['country']))}")
    if entry.get("phone"):
        lines.append(f"TEL;TYPE=work;VALUE=text:{escape(entry['phone'])}")
    if entry.get("secure_email"):
        lines.append(f"EMAIL;TYPE=work:{escape(entry['secure_email'])}")
    for code in entry.get("languages") or ():
        lines.append(f"LANG:{escape(code)}")
    if entry.get("expertise"):
        lines.append("CATEGORIES:" + ",".join(escape(tag) for tag in entry["expertise"]))
    notes = [text for text in (entry.get("bio"), entry.get("other_contact")) if text]
    if notes:
        lines.append(f"NOTE:{escape(chr(10).join(notes))}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)
