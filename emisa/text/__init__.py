"""User-written text: the one Markdown renderer, the one HTML sanitiser, mention extraction."""

from emisa.text.markdown import render_markdown, to_plain_text
from emisa.text.mentions import extract_mentions
from emisa.text.sanitise import SANITISER_VERSION, sanitise_html

__all__ = [
    "SANITISER_VERSION",
    "extract_mentions",
    "render_markdown",
    "sanitise_html",
    "to_plain_text",
]
