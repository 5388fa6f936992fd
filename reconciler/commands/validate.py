from __future__ import annotations

import sys
from typing import TextIO

from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import has_errors
from reconciler.render.diagnostics import render, summary
from reconciler.words import plural


def validate(catalog_dir: str, fmt: str, out: TextIO | None = None) -> int:
    # sys.stdout is looked up per call, not bound at import: it may be replaced (tests, CliRunner)
    out = sys.stdout if out is None else out
    catalog = validate_catalog(catalog_dir)
    out.write(render(catalog.diagnostics, fmt))
    if fmt == "text":
        if catalog.diagnostics:
            out.write(summary(catalog.diagnostics) + "\n")
        if not has_errors(catalog.diagnostics):
            models, credentials = len(catalog.models), len(catalog.credentials)
            out.write(
                f"{_folder(catalog_dir)} is valid: {plural(models, 'model')}, "
                f"{plural(credentials, 'credential')}\n"
            )
    return 1 if has_errors(catalog.diagnostics) else 0


def _folder(catalog_dir: str) -> str:
    """The directory as typed, marked as one: ``catalog/``, ``./``, ``/srv/catalog/``."""
    return catalog_dir if catalog_dir.endswith(("/", "\\")) else f"{catalog_dir}/"
