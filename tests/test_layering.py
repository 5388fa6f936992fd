"""Only reconciler/cli.py imports click: commands and everything below stay usable as a
library and testable without a CLI runner."""

from __future__ import annotations

import ast
import re
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


# --- the direction between the package's parts --------------------------------------------------
#
# cli -> commands -> pipeline -> stages -> catalog / db -> foundation. A part may import parts
# of lower rank, and parts of its own rank (stages each other), but never in a cycle.

FOUNDATION = 0
BASE = 1
STAGE = 2
RANKS: dict[str, int] = {
    "__main__": 6,
    "cli": 5,
    "commands": 4,
    "pipeline": 3,
    **dict.fromkeys(
        (
            "apply",
            "diff",
            "drift",
            "export",
            "lint",
            "litellm",
            "plan",
            "providers",
            "render",
            "runtime",
            "scaffold",
            "secrets",
            "state",
        ),
        STAGE,
    ),
    "catalog": BASE,
    "db": BASE,
    **dict.fromkeys(
        (
            "reconciler",  # the package itself: __version__
            "defaults",
            "diagnostics",
            "errors",
            "extras",
            "gcpause",
            "files",
            "logs",
            "provenance",
            "words",
            "providers.table",
        ),
        FOUNDATION,
    ),
}
# Modules that belong to another part than their folder says: the provider table is data every
# stage reads (it imports nothing of the reconciler); diagnostics' text form is part of
# diagnostics (it imports nothing but diagnostics and words).
PART_OF: dict[str, str] = {
    "reconciler.providers.table": "providers.table",
    "reconciler.render.diagnostics": "diagnostics",
}
# Cycles between stages that are known and being removed (none left).
KNOWN_CYCLE_PARTS: frozenset[str] = frozenset()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _part(module: str) -> str:
    if module in PART_OF:
        return PART_OF[module]
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def _reconciler_imports(tree: ast.AST, modules: set[str]) -> set[str]:
    """Every reconciler module imported anywhere in ``tree`` (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "reconciler")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "reconciler":
                continue
            for alias in node.names:  # a submodule, else a name the module defines
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return found


def _edges() -> dict[tuple[str, str], list[str]]:
    """(importing part, imported part) -> the imports that make the edge."""
    sources = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    edges: dict[tuple[str, str], list[str]] = {}
    for module, path in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target in _reconciler_imports(tree, set(sources)):
            if target in sources and _part(target) != _part(module):
                edges.setdefault((_part(module), _part(target)), []).append(f"{module} -> {target}")
    return edges


def test_every_part_has_a_rank() -> None:
    parts = {_part(_module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert parts - set(RANKS) == set()


def test_parts_import_only_downwards() -> None:
    upward = [
        why
        for (source, target), whys in sorted(_edges().items())
        if RANKS[target] > RANKS[source]
        for why in whys
    ]
    assert upward == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``graph`` as a path of parts, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_import_cycle_between_parts() -> None:
    graph: dict[str, set[str]] = {}
    for source, target in _edges():
        if {source, target} <= KNOWN_CYCLE_PARTS:
            continue
        graph.setdefault(source, set()).add(target)
    assert _cycle(graph) is None


def test_the_cycle_check_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_the_import_scan_sees_function_level_imports() -> None:
    tree = ast.parse(
        "def f():\n    from reconciler.commands import test_connection\n"
        "    import reconciler.db.engine\n"
    )
    found = _reconciler_imports(tree, {"reconciler.commands.test_connection"})
    assert found == {"reconciler.commands.test_connection", "reconciler.db.engine"}
    assert ("apply", "commands") not in _edges()


# --- commands hold no SQL and no wording ---------------------------------------------------------
#
# A command calls the pipeline or a stage and hands the typed result to a renderer: SQL belongs
# to reconciler.db/state/apply, sentences to reconciler.render. A "sentence" here is a string
# literal (an f-string with its fields as placeholders) of three words or more; docstrings and
# comments do not count. STILL_WORDED lists the commands that still word their own output (none
# now); the test holds it to exactly the ones that do, so it can only shrink on purpose.

COMMANDS = PACKAGE / "commands"
SENTENCE_WORDS = 3
DB_MODULES = {"sqlalchemy", "sqlite3", "psycopg", "alembic"}
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.I | re.S
)
STILL_WORDED: frozenset[str] = frozenset()


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _literals(tree: ast.AST) -> list[str]:
    """Every string literal outside docstrings; an f-string as one text with ``{}`` fields."""
    skip = _docstrings(tree)
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
            texts.append("".join(str(p) for p in parts))
            skip.update(id(v) for v in node.values)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            texts.append(node.value)
    return texts


def _sentences(tree: ast.AST) -> list[str]:
    return [t for t in _literals(tree) if len(t.replace("{}", " ").split()) >= SENTENCE_WORDS]


def _commands() -> dict[str, ast.AST]:
    paths = sorted(COMMANDS.glob("*.py"))
    assert len(paths) > 10  # the scan found the commands
    return {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in paths}


def _sql(tree: ast.AST, modules: set[str]) -> list[str]:
    """Database drivers and tables imported, and SQL statements written out."""
    tables = {m for m in _reconciler_imports(tree, modules) if m == "reconciler.db.tables"}
    queries = [t for t in _literals(tree) if SQL.search(t)]
    return sorted(_imported_roots(tree) & DB_MODULES) + sorted(tables) + queries


def test_commands_hold_no_sql() -> None:
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    found = {name: _sql(tree, modules) for name, tree in _commands().items()}
    assert {name: sql for name, sql in found.items() if sql} == {}


def test_commands_hold_no_sentences() -> None:
    worded = {name: _sentences(tree) for name, tree in _commands().items()}
    assert {name for name, found in worded.items() if found} == STILL_WORDED


def test_the_scans_see_sentences_and_sql() -> None:
    tree = ast.parse(
        '"""A docstring of many words is fine."""\n'
        'def f(n):\n    """So is this one, too."""\n'
        '    out.write(f"wrote {n} files to disk")\n'
        '    flag("--no-prune")\n'
        '    q = "select id from reconcile_runs"\n'
        "    import sqlalchemy as sa\n"
    )
    assert _sentences(tree) == ["wrote {} files to disk", "select id from reconcile_runs"]
    modules = {"reconciler.db.tables"}
    assert _sql(tree, modules) == ["sqlalchemy", "select id from reconcile_runs"]
    tables = ast.parse("def g():\n    from reconciler.db import tables as t\n")
    assert _sql(tables, modules) == ["reconciler.db.tables"]
