"""The environment is read in one place, ``emisa/settings.py``.

An operator reads one module to learn every variable the platform honours, and a test
changes configuration through the app's config alone: a module that reads ``os.environ``
itself would ignore the overrides a test or a second app in the same process passes.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "emisa"


def environment_reads(tree: ast.AST) -> list[int]:
    """Lines that touch ``os.environ`` or call ``os.getenv`` / ``getenv``."""
    lines = []
    for node in ast.walk(tree):
        reads_os = (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "getenv"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        )
        imports_from_os = (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and bool({alias.name for alias in node.names} & {"environ", "getenv"})
        )
        if reads_os or imports_from_os:
            lines.append(node.lineno)
    return lines


def test_only_settings_reads_the_environment():
    readers = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "settings.py" and "migrations" not in path.parts
        for line in environment_reads(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert readers == []


def test_the_check_sees_a_module_that_reads_the_environment():
    assert environment_reads(ast.parse("import os\nlimit = os.environ.get('X')\n")) == [2]
    assert environment_reads(ast.parse("from os import getenv\n")) == [1]
