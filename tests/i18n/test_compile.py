"""The .po catalogues are compiled when the app starts, into the data directory, only when
a .po is newer than its .mo; the pages then speak the translation."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from emisa import create_app, i18n


def _french_source(tmp_path: Path) -> Path:
    """A copy of the catalogues where French translates the sign-in page's title."""
    source = tmp_path / "source"
    shutil.copytree(i18n.SOURCE_CATALOGUES, source)
    path = source / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    catalogue["Sign in"].string = "Connexion"
    catalogue["Wrong email or password."].string = "Adresse ou mot de passe erroné."
    with path.open("wb") as handle:
        write_po(handle, catalogue)
    return source


def test_the_app_compiles_the_catalogues_and_speaks_french(tmp_path, monkeypatch, app_config):
    monkeypatch.setattr(i18n, "SOURCE_CATALOGUES", _french_source(tmp_path))
    app = create_app(app_config)
    compiled = Path(app_config["EMISA_DATA_DIR"]) / "translations"
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(compiled)
    assert sorted(p.parent.parent.name for p in compiled.glob("*/LC_MESSAGES/messages.mo")) == [
        "ar",
        "fr",
        "tr",
    ]
    assert not list(compiled.rglob("*.tmp"))
    page = app.test_client().get("/login", headers={"Accept-Language": "fr-FR"})
    html = page.get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html and "<h1>Connexion</h1>" in html
    # English stays English.
    english = app.test_client().get("/login", headers={"Accept-Language": "en"})
    assert "<h1>Sign in</h1>" in english.get_data(as_text=True)


def test_compiling_again_only_redoes_catalogues_whose_po_changed(tmp_path):
    source = _french_source(tmp_path)
    target = tmp_path / "compiled"
    i18n.compile_catalogues(source, target)
    french = target / "fr" / "LC_MESSAGES" / "messages.mo"
    turkish = target / "tr" / "LC_MESSAGES" / "messages.mo"
    past = french.stat().st_mtime - 100
    for mo in (french, turkish):
        os.utime(mo, (past + 200, past + 200))  # newer than their .po
    os.utime(source / "fr" / "LC_MESSAGES" / "messages.po", (past + 300, past + 300))
    i18n.compile_catalogues(source, target)
    assert french.stat().st_mtime != past + 200  # recompiled: its .po is newer
    assert turkish.stat().st_mtime == past + 200  # untouched
