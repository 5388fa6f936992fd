"""``reconciler lint``: advisory checks against litellm's model data (offline).

Warnings exit 0 unless ``--strict``; validation errors always exit 1. ``--fix`` writes the
suggested costs into the YAML files and then reports what is left. Findings silenced by
``# lint: ignore[...]`` comments are neither reported nor fixed, only counted in the text
summary.
"""

from __future__ import annotations

import sys
from typing import TextIO

from reconciler.diagnostics import Severity
from reconciler.lint.knowledge import model_cost
from reconciler.lint.run import lint_dir
from reconciler.render.diagnostics import render
from reconciler.render.lint import fix_lines, lint_summary


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
    linted = lint_dir(catalog_dir, model_cost(), environment, fix=fix)
    err.write(fix_lines(linted.fixed, linted.not_fixed))
    diagnostics = linted.diagnostics
    out.write(render(diagnostics, fmt))
    if fmt == "text":
        catalog = linted.catalog
        suppressed = len(linted.result.suppressed)
        out.write(
            lint_summary(diagnostics, suppressed, len(catalog.models), len(catalog.credentials))
        )
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return 1
    if strict and any(d.severity is Severity.WARNING for d in diagnostics):
        return 1
    return 0
