"""``reconciler compare A B``: how two environments' effective catalogs differ."""

from __future__ import annotations

import sys
from typing import TextIO

from reconciler.catalog.environments import BASE
from reconciler.diff.compare import compare as compare_catalogs
from reconciler.errors import CatalogInvalidError
from reconciler.render.compare import FORMAT_VERSION, render_compare
from reconciler.state.desired import DesiredState, load_desired


def compare(catalog_dir: str, before: str, after: str, fmt: str, out: TextIO | None = None) -> int:
    """Exit 0 when the two catalogs are the same, 2 when they differ."""
    out = sys.stdout if out is None else out
    try:
        desired = _load(catalog_dir, before), _load(catalog_dir, after)
    except CatalogInvalidError as err:
        if fmt == "json":  # as plan: a machine reader gets its JSON; the message goes to stderr
            from reconciler.render.plan_json import render_invalid_catalog_json

            out.write(render_invalid_catalog_json(err.diagnostics, FORMAT_VERSION))
        raise
    plan = compare_catalogs(*desired)
    out.write(render_compare(plan, fmt))
    return 2 if plan.has_changes else 0


def _load(catalog_dir: str, name: str) -> DesiredState:
    return load_desired(catalog_dir, None if name == BASE else name)
