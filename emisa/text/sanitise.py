"""The one HTML sanitiser: nh3 (Ammonia) with the platform's single allowlist.

Everything rendered from user input passes through ``sanitise_html`` before it
is stored or shown. ``SANITISER_VERSION`` names the allowlist revision and the
nh3 version: stored HTML records it and is re-rendered when it changes.
"""

from __future__ import annotations

from importlib.metadata import version

import nh3

# Bump when the allowlist below changes; nh3's own version is appended automatically.
ALLOWLIST_REVISION = "1"
SANITISER_VERSION = f"allow{ALLOWLIST_REVISION}/nh3-{version('nh3')}"

TAGS = frozenset(
    {
        # paragraphs and structure
        "p", "br", "hr",
        # emphasis
        "em", "strong", "del", "s",
        # lists
        "ul", "ol", "li",
        # code
        "code", "pre",
        # quotes
        "blockquote",
        # tables
        "table", "thead", "tbody", "tr", "th", "td",
        # headings
        "h1", "h2", "h3", "h4", "h5", "h6",
        # links
        "a",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

_cleaner = nh3.Cleaner(
    tags=set(TAGS),
    # Dropped together with everything inside them, not just unwrapped.
    clean_content_tags={"script", "style", "svg", "math", "template", "iframe", "object"},
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
    # "//host/x" and "x" carry no scheme to check: only absolute http(s)/mailto links pass.
    url_relative="deny",
)


def sanitise_html(html: str) -> str:
    """Inert HTML: only the allowlisted tags and attributes, links only http(s) and mailto."""
    return _cleaner.clean(html)
