"""The whole offline check: load, schema, semantic rules."""

from __future__ import annotations

import os

from reconciler.catalog import rules
from reconciler.catalog.load import Catalog, load_catalog


def validate_catalog(root: str | os.PathLike[str]) -> Catalog:
    """Load the catalog and run every check; problems are in ``catalog.diagnostics``."""
    catalog = load_catalog(root)
    catalog.diagnostics.extend(rules.check(catalog))
    return catalog
