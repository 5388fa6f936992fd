"""Words shared by messages: counted nouns (``1 error``, ``2 errors``), prices, and values
shown safely (control characters escaped, one line, shortened)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` and the noun, plural unless ``n`` is 1 (``nouns`` for irregular plurals)."""
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"


def closest(name: str, known: Iterable[str]) -> str | None:
    """The one of ``known`` closest to ``name``, None when none is close; first one that
    differs only by case (difflib's ratio can miss those in short names)."""
    import difflib  # only on the error path

    candidates = sorted(known)
    folded = name.casefold()
    same = [c for c in candidates if c.casefold() == folded]
    if same:
        return name if name in same else same[0]
    close = difflib.get_close_matches(name, candidates, n=1)
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


def escape_control(text: str) -> str:
    """``text`` with control and other non-printable characters (ANSI escapes, bidi overrides)
    written as escapes, so values cannot rewrite a terminal or hide text. Newlines are kept."""
    if text.isprintable() or all(ch.isprintable() or ch == "\n" for ch in text):
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else escape_char(ch) for ch in text)


def one_line(text: str) -> str:
    """``escape_control`` with line breaks escaped too: text read from the registry (names,
    workflows) cannot start a line of its own and forge output such as "Apply complete"."""
    return escape_control(text).replace("\n", "\\n")


def escape_char(ch: str) -> str:
    code = ord(ch)
    if ch == "\t":
        return "\\t"
    if ch == "\r":
        return "\\r"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def shown_value(text: str, limit: int = 60) -> str:
    """A value as a message quotes it: at most ``limit`` characters of it (cut with ``...``),
    on one line with control characters escaped (cut first: an escape is never split). Never
    for a value that may be a secret."""
    cut = text if len(text) <= limit else text[: limit - 3] + "..."
    return one_line(cut)
