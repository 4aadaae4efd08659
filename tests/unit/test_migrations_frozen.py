"""Migrations never import application code: editing a module must not rewrite an old revision."""

from __future__ import annotations

import ast
from pathlib import Path

import blindside

VERSIONS = Path(blindside.__file__).resolve().parent / "migrations" / "versions"


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
        elif isinstance(node, ast.ImportFrom):  # a relative import reaches into the package
            modules.add("." * node.level + (node.module or ""))
    return modules


def test_no_revision_imports_blindside() -> None:
    revisions = sorted(VERSIONS.glob("*.py"))
    assert revisions, VERSIONS
    offenders = {
        path.name: sorted(
            m for m in _imported_modules(path) if m.split(".")[0] in {"blindside", ""}
        )
        for path in revisions
    }
    assert {name: found for name, found in offenders.items() if found} == {}
