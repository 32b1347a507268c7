"""The one Markdown renderer and the one sanitiser: features work, hostile input is inert."""

from __future__ import annotations

from html.parser import HTMLParser

import nh3
import pytest

from emisa.text import SANITISER_VERSION, extract_mentions, render_markdown
from tests.text.hostile import HOSTILE

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "ul", "ol", "li", "code", "pre", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "h1", "h2", "h3", "h4", "h5", "h6", "a",
}  # fmt: skip


def test_markdown_features_render():
    html = render_markdown(
        "# Title\n\n## Sub\n\nSome *em* and **strong** and ~~gone~~ and `code`.\n\n"
        "- one\n- two\n\n3. three\n4. four\n\n> quoted\n\n```\nblock <b>\n```\n\n"
        "| a | b |\n|:-|-:|\n| 1 | 2 |\n\n"
        "[web](https://example.org/x?y=1) [mail](mailto:someone@example.org)"
    )
    for fragment in (
        "<h1>Title</h1>",
        "<h2>Sub</h2>",
        "<em>em</em>",
        "<strong>strong</strong>",
        "<s>gone</s>",
        "<code>code</code>",
        "<ul>\n<li>one</li>",
        '<ol start="3">',
        "<blockquote>\n<p>quoted</p>",
        "<pre><code>block &lt;b&gt;\n</code></pre>",
        "<table>",
        "<th>a</th>",
        "<td>2</td>",
        '<a href="https://example.org/x?y=1" rel="nofollow noopener noreferrer">web</a>',
        '<a href="mailto:someone@example.org" rel="nofollow noopener noreferrer">mail</a>',
    ):
        assert fragment in html, fragment


def test_sanitiser_version_names_nh3():
    assert SANITISER_VERSION.endswith(
        f"nh3-{nh3.__version__}"
        if hasattr(nh3, "__version__")
        else SANITISER_VERSION.split("/")[-1]
    )
    assert "nh3-" in SANITISER_VERSION


class _Elements(HTMLParser):
    """Every element and attribute a browser's parser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))


def assert_inert(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.elements:
        assert tag in ALLOWED_TAGS, f"<{tag}> survived: {html!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"{name} survived: {html!r}"
            assert name in {"href", "title", "rel", "start", "align"}, f"{name}: {html!r}"
            if name == "href":
                assert (value or "").startswith(("http://", "https://", "mailto:")), html
        if tag == "a" and any(name == "href" for name, _ in attrs):
            assert ("rel", "nofollow noopener noreferrer") in attrs, html


_inert = assert_inert


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_is_inert(source):
    _inert(render_markdown(source))


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_html_through_the_sanitiser_alone_is_inert(source):
    from emisa.text import sanitise_html

    _inert(sanitise_html(source))


def test_links_only_http_https_mailto_with_rel():
    html = render_markdown("[a](ftp://x.example/f) [b](//evil.example) [c](/relative) [d](tel:1)")
    assert "href" not in html
    assert render_markdown("<https://ok.example>").count('rel="nofollow noopener noreferrer"') == 1


def test_mentions_match_whole_member_names():
    members = [(1, "Ana"), (2, "Ana Maria"), (3, "محمد علي"), (4, "Jean-Luc")]
    assert extract_mentions("Hi @Ana Maria and @jean-luc!", members) == {2, 4}
    assert extract_mentions("@Ana, and @محمد علي.", members) == {1, 3}
    assert extract_mentions("mail ana@Anabelle.example", members) == set()
    assert extract_mentions("no mentions", members) == set()
