"""Only reconciler/cli.py imports click: commands and everything below stay usable as a
library and testable without a CLI runner."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
ALLOWED = {PACKAGE / "cli.py"}


def _imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):  # function-level imports count too
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_nothing_below_the_cli_imports_click() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 20  # the scan found the package
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in sources
        if path not in ALLOWED
        and "click" in _imported_roots(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_the_scan_sees_click_imports() -> None:
    found = _imported_roots(
        ast.parse("import click.testing\ndef f():\n    from click import echo\n")
    )
    assert "click" in found
    assert "click" in _imported_roots(ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8")))
