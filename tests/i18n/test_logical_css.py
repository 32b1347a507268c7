"""One stylesheet serves left-to-right and right-to-left pages only if it never says left or
right: this check refuses physical properties and values in static/css, in the templates'
style="" attributes and in styles set from static/js, naming file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# "left"/"right" as a property or part of one (left:, margin-left, border-top-right-radius) or
# as a value (text-align: right, float: left, linear-gradient(to right ...)).
PHYSICAL_WORD = re.compile(r"(?<![\w-])(left|right)(?![\w-])|-(left|right)(?!\w)")
# The same in a script's style property names: style.left, marginRight, borderTopLeftRadius.
PHYSICAL_JS_PROPERTY = re.compile(r"^(left|right)$|(Left|Right)(?![a-z])")
JS_STYLE_PROPERTY = re.compile(r"\.style\.(\w+)")
JS_STRING = re.compile(r"""(["'`])(.*?)(?<!\\)\1""")
# Four-value shorthands whose second and fourth values differ set right and left apart.
BOX_SHORTHAND = re.compile(
    r"(?<![\w-])(margin|padding|inset|scroll-margin|scroll-padding|border-width|border-style|"
    r"border-color)\s*:\s*([^;{}]+)"
)
COMMENT = re.compile(r"/\*.*?\*/", re.S)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
JS_STYLE = re.compile(r"\.style\b|setProperty|cssText|insertRule")


def _blank_comments(text: str) -> str:
    """Comments out, newlines kept, so line numbers stay true ("right-to-left" in a comment
    is prose, not a property)."""
    return COMMENT.sub(lambda match: re.sub(r"[^\n]", " ", match.group()), text)


def css_problems(text: str) -> list[tuple[int, str]]:
    """(line, declaration) of each physical left/right in a stylesheet's text."""
    problems = []
    for number, line in enumerate(_blank_comments(text).splitlines(), start=1):
        if PHYSICAL_WORD.search(line):
            problems.append((number, line.strip()))
            continue
        for match in BOX_SHORTHAND.finditer(line):
            # Functions (rgba(...), calc(...)) count as one value each.
            value = re.sub(r"\([^()]*\)", "()", match.group(2).replace("!important", ""))
            values = value.split()
            if len(values) == 4 and values[1] != values[3]:
                problems.append((number, line.strip()))
                break
    return problems


def template_problems(text: str) -> list[tuple[int, str]]:
    """Physical left/right in style="" attributes of a template."""
    problems = []
    for match in STYLE_ATTRIBUTE.finditer(text):
        declarations = match.group(1) if match.group(1) is not None else match.group(2)
        if css_problems(declarations):
            problems.append((text.count("\n", 0, match.start()) + 1, match.group().strip()))
    return problems


def js_problems(text: str) -> list[tuple[int, str]]:
    """Physical left/right in styles a script sets: element.style.left, style.marginRight,
    setProperty("padding-left", ...), cssText = "text-align: right", textAlign = "left"."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = re.sub(r"//.*$", "", line)
        if not JS_STYLE.search(code):
            continue
        names = JS_STYLE_PROPERTY.findall(code)
        strings = [match.group(2) for match in JS_STRING.finditer(code)]
        if any(PHYSICAL_JS_PROPERTY.search(name) for name in names) or any(
            PHYSICAL_WORD.search(string) for string in strings
        ):
            problems.append((number, line.strip()))
    return problems


def scan() -> list[str]:
    """Every problem in the platform's own CSS, templates and scripts, as 'file:line: text'."""
    found = []
    sources = [
        (sorted((ROOT / "static" / "css").rglob("*.css")), css_problems),
        (sorted((ROOT / "templates").rglob("*.html")), template_problems),
        (sorted((ROOT / "static" / "js").rglob("*.js")), js_problems),
    ]
    for paths, check in sources:
        for path in paths:
            for number, text in check(path.read_text(encoding="utf-8")):
                found.append(f"{path.relative_to(ROOT)}:{number}: {text}")
    return found


def test_the_platform_uses_logical_properties_only():
    problems = scan()
    assert not problems, "physical left/right (use *-inline-start/end, start/end):\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize(
    "sample",
    [
        ".a { margin-left: 1rem; }",
        ".a { padding-right: 0; }",
        ".a { border-left: 3px solid; }",
        ".a { border-top-right-radius: 4px; }",
        ".a { position: absolute; left: 0; }",
        ".a { right: 2px; }",
        ".a { text-align: left; }",
        ".a { float: right; }",
        ".a { clear: left; }",
        ".a { background: linear-gradient(to right, #fff, #000); }",
        ".a { margin: 0 1rem 0 2rem; }",
        ".a { padding: 1px 2px 3px 4px !important; }",
    ],
)
def test_a_physical_declaration_is_refused_with_its_line(sample):
    assert css_problems("/* fine */\n.ok { margin-inline-start: 1rem; }\n" + sample) == [
        (3, sample)
    ]


@pytest.mark.parametrize(
    "sample",
    [
        ".a { margin-inline-start: 1rem; padding-inline-end: 0; }",
        ".a { inset-inline: 0; inset-block-end: 0; border-inline-start: 3px solid; }",
        ".a { text-align: start; float: inline-end; border-start-end-radius: 4px; }",
        ".a { margin: 0 1rem 0 1rem; padding: 1px 2px 3px; }",
        ".a { border-color: rgba(255, 255, 255, .6); margin: calc(1px + 2px) 0; }",
        "/* reads right-to-left and left-to-right */ .a { color: red; }",
        ".bright { color: var(--brightness); } .left-over { display: block; }",
    ],
)
def test_logical_declarations_pass(sample):
    assert css_problems(sample) == []


def test_a_template_style_attribute_is_refused_with_its_line():
    template = '<p>\n  <span style="color: red">ok</span>\n  <div style="margin-left: 2px">x</div>'
    assert template_problems(template) == [(3, 'style="margin-left: 2px"')]
    assert template_problems('<div class="left-over" style="margin-inline-start: 2px">') == []


@pytest.mark.parametrize(
    "sample",
    [
        "node.style.left = `${x}px`;",
        "node.style.marginRight = '4px';",
        'node.style.setProperty("padding-left", "1rem");',
        'node.style.cssText = "text-align: right";',
        'node.style.textAlign = "left";',
    ],
)
def test_a_script_setting_a_physical_style_is_refused(sample):
    assert js_problems("// the left column\nconst a = 1;\n" + sample) == [(3, sample)]


def test_scripts_may_speak_of_left_and_right_elsewhere():
    assert js_problems('if (event.key === "ArrowLeft") { node.style.insetInlineStart = 0; }') == []
    assert js_problems("// the style is right-to-left aware\nconst right = 1;") == []
