"""The one Markdown renderer: markdown-it-py (CommonMark) with raw HTML disabled.

Raw HTML in the source is shown as text, never passed through; the result is
sanitised by ``emisa.text.sanitise`` all the same, so a renderer bug cannot
become an injection.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from emisa.text.sanitise import sanitise_html

MAX_SOURCE_CHARS = 100_000

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])
# Images would fetch from anywhere a poster chooses (tracking pixels); links are enough.
_md.disable("image")


def render_markdown(source: str) -> str:
    """Markdown source -> sanitised HTML, safe to store and to show."""
    return sanitise_html(_md.render(source or ""))


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def to_plain_text(html: str, limit: int | None = None) -> str:
    """Visible text of sanitised HTML, for excerpts (escaped again by the template)."""
    import html as html_lib

    text = _SPACE.sub(" ", html_lib.unescape(_TAG.sub(" ", html or ""))).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
