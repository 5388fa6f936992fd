"""The words of ``reconciler db upgrade``."""

from __future__ import annotations


def upgraded(where: str, before: str | None, after: str) -> str:
    """What ``db upgrade`` did to the registry at ``where`` (a URL without its password)."""
    if before == after:
        return f"{where} is up to date (schema revision {after})\n"
    return f"{where} migrated from {before or 'empty'} to schema revision {after}\n"
