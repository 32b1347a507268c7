"""The packages of ``emisa`` import each other in one direction only.

A cycle between two packages means neither can be understood, tested or copied without the
other, and it breaks at import time as soon as one of the two imports moves to the top of a
module. The graph is read from the source (no import runs): an edge goes from the package of
a module to the package of every ``emisa`` module it imports, at module level or inside a
function alike, so hiding an import in a function does not hide a cycle. The nodes are the
packages (``emisa/<name>/``); the application's shell of single modules (``emisa/database.py``,
``errors.py``, ``extensions.py``, ``cli.py``, ...) wires the packages together and is not one of
them.

One kind of edge is left out, and only one: an import inside a function of a module of
``emisa.access`` (the rule modules ``emisa/access/<feature>.py`` loading the model they judge
and its SQL twin needs; ``marked``, ``sql``, ``validation`` and ``policy`` loading accounts,
audit and crypto when they run). These cannot move to module level. Every package imports
``emisa.access`` (its models mix in ``Marked`` and use its roles and countries), so counted
here they would tangle all packages into one; and at import time they close a real cycle:
``import emisa.discussions.models`` enters ``emisa.access`` through ``Marked``, whose
``__init__`` loads the rule modules, and ``emisa.access.discussions`` then asks the half-loaded
models module for ``Post`` (ImportError). Module-level imports inside ``emisa.access`` are
counted like any other. Imports under ``if TYPE_CHECKING:`` are annotations, not imports.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "emisa"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str:
    """``emisa.groups.models`` -> ``emisa.groups``; top-level modules stand for themselves."""
    return ".".join(module.split(".")[:2])


def _under_type_checking(tree: ast.Module) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(inner) for inner in ast.walk(node))
    return hidden


def _in_functions(tree: ast.Module) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside.update(id(inner) for inner in ast.walk(node) if inner is not node)
    return inside


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    return [target] + [f"{target}.{alias.name}" for alias in node.names]


def _is_policy_import_at_call_time(module: str, inside_function: bool) -> bool:
    parts = module.split(".")
    return inside_function and parts[:2] == ["emisa", "access"] and len(parts) == 3


def _packages() -> set[str]:
    return {
        f"emisa.{path.parent.name}"
        for path in PACKAGE.glob("*/__init__.py")
        if path.parent.name != "migrations"
    }


def import_graph() -> dict[str, dict[str, str]]:
    """package -> {imported package: "file:line" of one import that makes the edge}."""
    packages = _packages()
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = _module_name(path)
        if _package(module) not in packages:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _under_type_checking(tree)
        in_functions = _in_functions(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if _is_policy_import_at_call_time(module, id(node) in in_functions):
                continue
            for target in _imported(node, module, path.name == "__init__.py"):
                if _package(target) in packages and _package(target) != _package(module):
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    graph[_package(module)].setdefault(_package(target), where)
    return graph


def tangles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The groups of packages that reach each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while group[-1:] != [node]:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(graph: dict[str, dict[str, str]], group: list[str]) -> str:
    """Every import that keeps the group tangled, one per line."""
    return "\n".join(
        f"  {source} -> {target} ({graph[source][target]})"
        for source in group
        for target in sorted(graph.get(source, {}))
        if target in group
    )


def test_packages_import_each_other_one_way():
    graph = import_graph()
    found = tangles(graph)
    assert not found, "packages that import each other:\n" + "\n".join(
        describe(graph, group) for group in found
    )


def test_a_cycle_is_found_and_named():
    graph = {
        "emisa.a": {"emisa.b": "emisa/a.py:3"},
        "emisa.b": {"emisa.c": "emisa/b.py:4"},
        "emisa.c": {"emisa.a": "emisa/c/x.py:9"},
        "emisa.d": {"emisa.a": "emisa/d.py:1"},
    }
    (group,) = tangles(graph)
    assert group == ["emisa.a", "emisa.b", "emisa.c"]
    assert "emisa.c -> emisa.a (emisa/c/x.py:9)" in describe(graph, group)
    assert "emisa.d" not in describe(graph, group)
