"""A SQLite registry is often a throwaway one (the quick start's registry.db): when its key is
lost, starting afresh is the fix, and the messages say so."""

from __future__ import annotations

from reconciler.db.engine import sqlite_path


def throwaway_file(db_url: str | None) -> str | None:
    """The SQLite file behind ``db_url`` (None for servers): a key hint may offer to delete it."""
    path = sqlite_path(db_url) if db_url is not None else None
    return None if path is None else str(path)
