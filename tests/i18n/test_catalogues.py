"""The catalogues are complete: every message the code and templates say today is translated
in fr, ar and tr, not fuzzy, with the same %(placeholders)s as the English.

The messages are extracted afresh from the working tree (babel.cfg, the commands of
docs/development.md), so a string added without a translation fails here, by name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "emisa" / "translations"
LANGUAGES = ("fr", "ar", "tr")
KEYWORDS = ("_l", "lazy_gettext", "deny")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extract(target: Path) -> Catalog:
    """The messages of the code and templates as they are now (pybabel extract)."""
    keywords = [argument for keyword in KEYWORDS for argument in ("-k", keyword)]
    options = ["--add-comments=TRANSLATORS:", "-o", str(target)]
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), *keywords, *options, str(ROOT)]
    )
    with target.open("rb") as handle:
        return read_po(handle)


def _names(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text or ""))


def problems(template: Catalog, translations: Path, languages=LANGUAGES) -> list[str]:
    """Every message missing, untranslated or fuzzy in a language, or whose translation's
    placeholders differ from the original's (a plural form may leave out ``num``)."""
    found = []
    for language in languages:
        path = translations / language / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            found.append(f"{language}: no catalogue at {path}")
            continue
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=language)
        for message in template:
            if not message.id:
                continue
            name = message.id if isinstance(message.id, str) else message.id[0]
            translated = catalogue.get(message.id, context=message.context)
            if translated is None:
                found.append(f"{language}: missing: {name!r}")
                continue
            forms = (
                translated.string if isinstance(translated.string, tuple) else (translated.string,)
            )
            if not all(forms):
                found.append(f"{language}: untranslated: {name!r}")
            elif translated.fuzzy:
                found.append(f"{language}: fuzzy: {name!r}")
            else:
                originals = message.id if isinstance(message.id, tuple) else (message.id,)
                expected = set().union(*(_names(text) for text in originals))
                plural = isinstance(message.id, tuple)
                for form in forms:
                    names = _names(form)
                    lacking = expected - names - ({"num"} if plural else set())
                    if names - expected or lacking:
                        found.append(
                            f"{language}: placeholders {sorted(names)} instead of "
                            f"{sorted(expected)}: {name!r}"
                        )
                        break
    return found


def test_every_message_is_translated_in_french_arabic_and_turkish(tmp_path):
    template = extract(tmp_path / "messages.pot")
    assert len(template) > 500  # the extraction found the code and templates
    missing = problems(template, TRANSLATIONS)
    assert not missing, f"{len(missing)} catalogue problems:\n" + "\n".join(missing)


# The checker itself, on a small fake catalogue set: it passes a complete one and names the
# message of every kind of fault.

ORIGINAL = [
    ("Save", None),
    ("Welcome, %(name)s", None),
    (("%(num)s post", "%(num)s posts"), None),
]
COMPLETE = {
    # CLDR gives French three plural forms (one, many, other).
    "fr": [
        "Enregistrer",
        "Bienvenue, %(name)s",
        ("%(num)s message", "%(num)s de messages", "%(num)s messages"),
    ],
    "ar": [
        "حفظ",
        "مرحباً، %(name)s",
        (
            "لا مشاركات",
            "مشاركة واحدة",
            "مشاركتان",
            "%(num)s مشاركات",
            "%(num)s مشاركة",
            "%(num)s مشاركة",
        ),
    ],
    "tr": ["Kaydet", "Hoş geldiniz, %(name)s", ("%(num)s ileti", "%(num)s ileti")],
}


def _template() -> Catalog:
    template = Catalog()
    for msgid, _context in ORIGINAL:
        template.add(msgid)
    return template


def _write(directory: Path, translations: dict, *, fuzzy: tuple = ()) -> None:
    for language, strings in translations.items():
        catalogue = Catalog(locale=language)
        for (msgid, _context), string in zip(ORIGINAL, strings, strict=False):
            flags = {"fuzzy"} if (language, msgid) in fuzzy else set()
            catalogue.add(msgid, string, flags=flags)
        path = directory / language / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True)
        with path.open("wb") as handle:
            write_po(handle, catalogue)


def test_the_checker_passes_complete_catalogues(tmp_path):
    _write(tmp_path, COMPLETE)
    assert problems(_template(), tmp_path) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t["fr"].pop(), "fr: missing: '%(num)s post'"),
        (lambda t: t["tr"].__setitem__(0, ""), "tr: untranslated: 'Save'"),
        (
            lambda t: t["ar"].__setitem__(1, "مرحباً، %(nom)s"),
            "ar: placeholders ['nom'] instead of ['name']: 'Welcome, %(name)s'",
        ),
        (
            lambda t: t["fr"].__setitem__(1, "Bienvenue"),
            "fr: placeholders [] instead of ['name']: 'Welcome, %(name)s'",
        ),
        (
            lambda t: t["tr"].__setitem__(2, ("%(num)s ileti", "")),
            "tr: untranslated: '%(num)s post'",
        ),
    ],
)
def test_the_checker_names_each_faulty_message(tmp_path, change, expected):
    translations = {language: list(strings) for language, strings in COMPLETE.items()}
    change(translations)
    _write(tmp_path, translations)
    assert problems(_template(), tmp_path) == [expected]


def test_the_checker_names_fuzzy_translations_and_missing_catalogues(tmp_path):
    _write(tmp_path, {"fr": COMPLETE["fr"], "ar": COMPLETE["ar"]}, fuzzy={("fr", "Save")})
    found = problems(_template(), tmp_path)
    assert found[0] == "fr: fuzzy: 'Save'"
    assert found[1].startswith("tr: no catalogue at ")
    assert len(found) == 2
