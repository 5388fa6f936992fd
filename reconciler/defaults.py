"""Where commands look when no --catalog / --db is given."""

from __future__ import annotations

DEFAULT_CATALOG = "catalog"
DEFAULT_DB = "sqlite:///registry.db"
