from __future__ import annotations

import sys
from typing import TextIO

from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import has_errors
from reconciler.render.diagnostics import render, summary


def validate(catalog_dir: str, fmt: str, out: TextIO | None = None) -> int:
    # sys.stdout is looked up per call, not bound at import: it may be replaced (tests, CliRunner)
    out = sys.stdout if out is None else out
    catalog = validate_catalog(catalog_dir)
    out.write(render(catalog.diagnostics, fmt))
    if fmt == "text":
        if catalog.diagnostics:
            out.write(summary(catalog.diagnostics) + "\n")
        if not has_errors(catalog.diagnostics):
            out.write(
                f"catalog {catalog_dir} is valid: {len(catalog.models)} models, "
                f"{len(catalog.credentials)} credentials\n"
            )
    return 1 if has_errors(catalog.diagnostics) else 0
