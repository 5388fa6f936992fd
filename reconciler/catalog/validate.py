"""The whole offline check: load, schema, semantic rules."""

from __future__ import annotations

import dataclasses
import os

from reconciler.catalog import rules
from reconciler.catalog.load import Catalog, load_catalog
from reconciler.diagnostics import Diagnostic


def validate_catalog(root: str | os.PathLike[str], environment: str | None = None) -> Catalog:
    """Load the catalog (the base, or the named environment's merged catalog) and run every
    check; problems are in ``catalog.diagnostics``."""
    if environment is not None:
        from reconciler.catalog.environments import load_environment

        return load_environment(root, environment)
    catalog = load_catalog(root)
    catalog.diagnostics.extend(rules.check(catalog))
    return catalog


def validate_environments(
    root: str | os.PathLike[str], environment: str | None = None
) -> list[tuple[str, Catalog]]:
    """The named environment's catalog, or (``environment`` None) the base's (named "") and
    every environment's in order. An environment's diagnostics leave out the problems the base
    already has: they are reported once, under the base."""
    if environment is not None:
        return [(environment, validate_catalog(root, environment))]
    from reconciler.catalog.environments import find_environments

    base = validate_catalog(root)
    found = find_environments(root)
    base.diagnostics.extend(found.diagnostics)
    checked = [("", base)]
    seen = {_plain(d) for d in base.diagnostics}
    for name in found.names:
        catalog = validate_catalog(root, name)
        catalog.diagnostics = [d for d in catalog.diagnostics if _plain(d) not in seen]
        checked.append((name, catalog))
    return checked


def _plain(d: Diagnostic) -> Diagnostic:
    return dataclasses.replace(d, environment="")
