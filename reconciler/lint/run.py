"""Lint a catalog directory: validate it, run the rules, drop what ``# lint: ignore`` comments
silence, and with ``fix`` write the suggested costs and lint again to report what is left."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.catalog.load import Catalog
from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import Diagnostic
from reconciler.lint.knowledge import ModelCost
from reconciler.lint.rules import CostFix, LintResult, lint_catalog
from reconciler.lint.suppress import apply_suppressions, read_sources


@dataclass
class Linted:
    """The catalog as validated, what lint found in it (validation's diagnostics too, in
    order), and what ``--fix`` wrote and could not write."""

    catalog: Catalog
    result: LintResult
    diagnostics: list[Diagnostic]
    fixed: list[CostFix]
    not_fixed: list[str]


def run_lint(
    catalog_dir: str, table: ModelCost, environment: str | None = None
) -> tuple[Catalog, LintResult]:
    catalog = validate_catalog(catalog_dir, environment)
    result = lint_catalog(catalog, table)
    return catalog, apply_suppressions(result, read_sources(catalog))


def lint_dir(
    catalog_dir: str, table: ModelCost, environment: str | None = None, *, fix: bool = False
) -> Linted:
    catalog, result = run_lint(catalog_dir, table, environment)
    fixed: list[CostFix] = []
    not_fixed: list[str] = []
    if fix and result.fixes:
        from reconciler.lint.fix import apply_fixes

        report = apply_fixes(result.fixes)
        not_fixed = report.problems
        fixed = report.written
        catalog, result = run_lint(catalog_dir, table, environment)  # report what is left
    diagnostics = sorted([*catalog.diagnostics, *result.diagnostics], key=Diagnostic.sort_key)
    return Linted(catalog, result, diagnostics, fixed, not_fixed)
