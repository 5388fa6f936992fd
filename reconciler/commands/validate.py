from __future__ import annotations

import dataclasses
import sys
from typing import TextIO

from reconciler.catalog.environments import find_environments
from reconciler.catalog.load import Catalog
from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import Diagnostic, has_errors
from reconciler.render.diagnostics import render, summary
from reconciler.words import plural


def validate(
    catalog_dir: str, fmt: str, out: TextIO | None = None, environment: str | None = None
) -> int:
    """Check one environment's catalog, or (without ``environment``) the base and every
    environment; an environment repeats no problem the base already has."""
    # sys.stdout is looked up per call, not bound at import: it may be replaced (tests, CliRunner)
    out = sys.stdout if out is None else out
    checked = _check(catalog_dir, environment)
    diagnostics = [d for _, catalog in checked for d in catalog.diagnostics]
    out.write(render(diagnostics, fmt))
    if fmt == "text":
        if diagnostics:
            out.write(summary(diagnostics) + "\n")
        base_ok = not has_errors(checked[0][1].diagnostics)
        for name, catalog in checked:
            # an environment's catalog holds the base's problems, shown once, under the base
            if base_ok and not has_errors(catalog.diagnostics):
                out.write(f"{_what(catalog_dir, name)} is valid: {_counts(catalog)}\n")
    return 1 if has_errors(diagnostics) else 0


def _check(catalog_dir: str, environment: str | None) -> list[tuple[str, Catalog]]:
    if environment is not None:
        return [(environment, validate_catalog(catalog_dir, environment))]
    base = validate_catalog(catalog_dir)
    found = find_environments(catalog_dir)
    base.diagnostics.extend(found.diagnostics)
    checked = [("", base)]
    seen = {_plain(d) for d in base.diagnostics}
    for name in found.names:
        catalog = validate_catalog(catalog_dir, name)
        catalog.diagnostics = [d for d in catalog.diagnostics if _plain(d) not in seen]
        checked.append((name, catalog))
    return checked


def _plain(d: Diagnostic) -> Diagnostic:
    return dataclasses.replace(d, environment="")


def _counts(catalog: Catalog) -> str:
    return (
        f"{plural(len(catalog.models), 'model')}, {plural(len(catalog.credentials), 'credential')}"
    )


def _what(catalog_dir: str, environment: str) -> str:
    if environment:
        return f"environment {environment}"
    return _folder(catalog_dir)


def _folder(catalog_dir: str) -> str:
    """The directory as typed, marked as one: ``catalog/``, ``./``, ``/srv/catalog/``."""
    return catalog_dir if catalog_dir.endswith(("/", "\\")) else f"{catalog_dir}/"
