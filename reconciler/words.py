"""Counted nouns for messages: ``1 error``, ``2 errors``."""

from __future__ import annotations


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` and the noun, plural unless ``n`` is 1 (``nouns`` for irregular plurals)."""
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"
