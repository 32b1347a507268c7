"""Words as the blind index sees them: case- and accent-folded, Arabic letter forms unified.

``words("Élève à l'ÉCOLE")`` and ``words("eleve a l'ecole")`` give the same set,
and so do Arabic words written with or without diacritics, tatweel or the
various hamza-carrying alef forms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from markupsafe import Markup, escape

# Letters NFKD does not fold on its own.
_FOLD = str.maketrans(
    {
        "\u0640": None,  # tatweel (kashida), pure elongation
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0649": "\u064a",  # alef maksura -> yeh
        "\u06cc": "\u064a",  # Farsi yeh -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06a9": "\u0643",  # keheh -> kaf
        "\u0621": None,  # lone hamza
        "\u00f8": "o",
        "\u0153": "oe",
        "\u00e6": "ae",
        "\u0142": "l",
        "\u0111": "d",
        "\u0131": "i",  # dotless i (Turkish)
    }
)
_WORD = re.compile(r"\w+")
MIN_WORD = 2
MAX_WORD = 64
MAX_WORDS = 5000  # distinct words indexed per item


def fold(text: str) -> str:
    """NFKD, drop combining marks (accents, harakat, hamza above/below), casefold."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_FOLD)


def words(text: str) -> set[str]:
    """The distinct normalised words of ``text`` worth indexing."""
    found: set[str] = set()
    for match in _WORD.finditer(fold(text)):
        word = match.group(0).strip("_")
        if len(word) >= MIN_WORD:
            found.add(word[:MAX_WORD])
            if len(found) >= MAX_WORDS:
                break
    return found


def query_words(text: str) -> list[str]:
    """Words of a search query, in order, without duplicates."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(text)):
        word = word.strip("_")
        if len(word) >= MIN_WORD:
            seen.setdefault(word[:MAX_WORD], None)
    return list(seen)[:12]


def highlighter(query: str) -> Callable[[str], Markup]:
    """A function giving a text escaped, with each word the blind index matched (its folded
    form is one of the query's words) wrapped in ``<mark>``; done on the page being shown,
    nothing stored. The query is read once for the whole page, and each distinct word of the
    page folded once (hits repeat words: a page of fifty costs little more than one)."""
    wanted = set(query_words(query))
    matched: dict[str, bool] = {}

    def is_wanted(word: str) -> bool:
        if word not in matched:
            matched[word] = fold(word).strip("_")[:MAX_WORD] in wanted
        return matched[word]

    def mark(text: str) -> Markup:
        text = text or ""
        pieces: list[Markup] = []
        last = 0
        for match in _WORD.finditer(text):
            if is_wanted(match.group(0)):
                pieces.append(escape(text[last : match.start()]))
                pieces.append(Markup("<mark>{}</mark>").format(match.group(0)))
                last = match.end()
        pieces.append(escape(text[last:]))
        return Markup("").join(pieces)

    return mark
