"""The whole offline check: load, schema, semantic rules."""

from __future__ import annotations

import os

from reconciler.catalog import rules
from reconciler.catalog.load import Catalog, load_catalog


def validate_catalog(root: str | os.PathLike[str], environment: str | None = None) -> Catalog:
    """Load the catalog (the base, or the named environment's merged catalog) and run every
    check; problems are in ``catalog.diagnostics``."""
    if environment is not None:
        from reconciler.catalog.environments import load_environment

        return load_environment(root, environment)
    catalog = load_catalog(root)
    catalog.diagnostics.extend(rules.check(catalog))
    return catalog
