from __future__ import annotations

import sys
from typing import TextIO

from reconciler.catalog.validate import validate_environments
from reconciler.diagnostics import has_errors
from reconciler.render.catalog import valid_line
from reconciler.render.diagnostics import render, summary


def validate(
    catalog_dir: str, fmt: str, out: TextIO | None = None, environment: str | None = None
) -> int:
    """Check one environment's catalog, or (without ``environment``) the base and every
    environment; an environment repeats no problem the base already has."""
    # sys.stdout is looked up per call, not bound at import: it may be replaced (tests, CliRunner)
    out = sys.stdout if out is None else out
    checked = validate_environments(catalog_dir, environment)
    diagnostics = [d for _, catalog in checked for d in catalog.diagnostics]
    out.write(render(diagnostics, fmt))
    if fmt == "text":
        if diagnostics:
            out.write(summary(diagnostics) + "\n")
        base_ok = not has_errors(checked[0][1].diagnostics)
        for name, catalog in checked:
            # an environment's catalog holds the base's problems, shown once, under the base
            if base_ok and not has_errors(catalog.diagnostics):
                out.write(
                    valid_line(catalog_dir, name, len(catalog.models), len(catalog.credentials))
                )
    return 1 if has_errors(diagnostics) else 0
