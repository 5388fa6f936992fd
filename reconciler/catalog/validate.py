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
    already has: they are reported once, under the base. That includes a problem at the same
    place in a base file whose words name an overlay's file (the duplicate of a patched
    object is "already used at" the overlay): the base's error is the one to fix."""
    if environment is not None:
        return [(environment, validate_catalog(root, environment))]
    from reconciler.catalog.environments import find_environments

    base = validate_catalog(root)
    found = find_environments(root)
    base.diagnostics.extend(found.diagnostics)
    checked = [("", base)]
    seen = {_plain(d) for d in base.diagnostics}
    places = {_place(d) for d in base.diagnostics if d.line > 0}
    for name in found.names:
        catalog = validate_catalog(root, name)
        catalog.diagnostics = [
            d for d in catalog.diagnostics if _plain(d) not in seen and _place(d) not in places
        ]
        checked.append((name, catalog))
    return checked


def _plain(d: Diagnostic) -> Diagnostic:
    return dataclasses.replace(d, environment="")


def _place(d: Diagnostic) -> tuple[str, int, int, str]:
    # only base files hold the base's diagnostics: an overlay's problem is never at a base place
    return (d.path, d.line, d.column, d.code)
