"""Words shared by messages: counted nouns (``1 error``, ``2 errors``) and prices."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` and the noun, plural unless ``n`` is 1 (``nouns`` for irregular plurals)."""
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"


def closest(name: str, known: Iterable[str]) -> str | None:
    """The one of ``known`` closest to ``name``, None when none is close."""
    import difflib  # only on the error path

    close = difflib.get_close_matches(name, sorted(known), n=1)
    return close[0] if close else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``; did you mean 'staging'?`` for the closest of ``known``, '' when none is close."""
    close = closest(name, known)
    return f"; did you mean '{close}'?" if close is not None else ""


def per_million(value: Any) -> str | None:
    """A per-token USD price as dollars per 1M tokens (``$3.00``); None when not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value):
        return None
    dollars = round(value * 1_000_000, 9)
    if dollars == round(dollars, 2):
        return f"${dollars:,.2f}"
    return f"${dollars:,.6g}"
