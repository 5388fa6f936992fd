"""``reconciler lint``: advisory checks against litellm's model data (offline).

Warnings exit 0 unless ``--strict``; validation errors always exit 1. ``--fix`` writes the
suggested costs into the YAML files and then reports what is left. Findings silenced by
``# lint: ignore[...]`` comments are neither reported nor fixed, only counted in the text
summary.
"""

from __future__ import annotations

import sys
from typing import TextIO

from reconciler.catalog.load import Catalog
from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import Diagnostic, Severity
from reconciler.lint.knowledge import ModelCost, model_cost
from reconciler.lint.rules import LintResult, lint_catalog
from reconciler.lint.suppress import apply_suppressions, read_sources
from reconciler.render.diagnostics import render
from reconciler.words import plural


def run_lint(
    catalog_dir: str, table: ModelCost, environment: str | None = None
) -> tuple[Catalog, LintResult]:
    catalog = validate_catalog(catalog_dir, environment)
    result = lint_catalog(catalog, table)
    return catalog, apply_suppressions(result, read_sources(catalog))


def _summary(diagnostics: list[Diagnostic], suppressed: int) -> str:
    count = {s: sum(d.severity is s for d in diagnostics) for s in Severity}
    text = (
        f"{plural(count[Severity.ERROR], 'error')}, "
        f"{plural(count[Severity.WARNING], 'warning')}, {plural(count[Severity.INFO], 'note')}"
        if diagnostics
        else "no lint findings"
    )
    return text + (f", {suppressed} suppressed" if suppressed else "")


def lint(
    catalog_dir: str,
    fmt: str,
    strict: bool,
    fix: bool,
    out: TextIO | None = None,
    err: TextIO | None = None,
    environment: str | None = None,
) -> int:
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    table = model_cost()
    catalog, result = run_lint(catalog_dir, table, environment)
    if fix and result.fixes:
        from reconciler.lint.fix import apply_fixes

        report = apply_fixes(result.fixes)
        for problem in report.problems:
            err.write(f"lint --fix: {problem}\n")
        for done in report.written:
            err.write(f"fixed {done.path}: cost.{done.field} = {done.value!r}\n")
        catalog, result = run_lint(catalog_dir, table, environment)  # report what is left
    diagnostics = sorted([*catalog.diagnostics, *result.diagnostics], key=Diagnostic.sort_key)
    out.write(render(diagnostics, fmt))
    if fmt == "text":
        out.write(
            _summary(diagnostics, len(result.suppressed))
            + f" ({plural(len(catalog.models), 'model')}, "
            f"{plural(len(catalog.credentials), 'credential')})\n"
        )
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return 1
    if strict and any(d.severity is Severity.WARNING for d in diagnostics):
        return 1
    return 0
