"""A SQLite registry is often a throwaway one (the quick start's registry.db): when its key is
lost, starting afresh is the fix, and the messages say so."""

from __future__ import annotations

from reconciler.db.engine import sqlite_path


def throwaway_registry_hint(db_url: str | None) -> str:
    """A sentence to append to a hint about a key that does not match ("" for servers)."""
    path = sqlite_path(db_url) if db_url is not None else None
    if path is None:
        return ""
    return (
        f"; or, if {path} is a throwaway registry (such as the quick start's), delete it and "
        "run 'reconciler db upgrade' to start afresh"
    )
