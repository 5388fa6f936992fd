"""Values as plan renderers show them: one line, control characters escaped, strings quoted
only when they would read as another type, prices per 1M tokens."""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reconciler.plan.model import FieldChange
from reconciler.state.records import COST_FIELDS, NONE_MEANS
from reconciler.words import escape_char
from reconciler.words import escape_control as escape_control  # shared with catalog messages
from reconciler.words import one_line as one_line
from reconciler.words import per_million as per_million  # one rounding for every format and lint

_LOOKS_TYPED = frozenset({"true", "false", "null", "none", "(none)", "yes", "no", "on", "off"})


def quote(text: str) -> str:
    """A double-quoted, single-line form of ``text`` with every special character escaped."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(escape_char(ch))
    out.append('"')
    return "".join(out)


def _needs_quotes(text: str) -> bool:
    if not text or text != text.strip() or '"' in text or "\\" in text or " -> " in text:
        return True
    if not text.isprintable() or text.lower() in _LOOKS_TYPED:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def plain(value: Any) -> Any:
    """``value`` as JSON-compatible data (mappings sorted by key); unknown types as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, bytes | bytearray):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def field_value(path: str, value: Any) -> Any:
    """``value`` as the catalog writes it: a None that is a value (reasoning off) is that
    value (``false``), in every format."""
    return NONE_MEANS.get(path) if value is None else value


def format_value(value: Any) -> str:
    """A readable single-line form: ``(none)``, ``true``/``false``, numbers as Python writes them,
    strings bare unless they need quotes (empty, padded, multi-line, or looking like another
    type), structures as compact JSON."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return format_value(value.value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return quote(value) if _needs_quotes(value) else value
    if isinstance(value, Mapping | Sequence | set | frozenset) and not isinstance(
        value, bytes | bytearray
    ):
        text = json.dumps(plain(value), ensure_ascii=False, separators=(", ", ": "))
        return escape_control(text).replace("\n", "\\n")
    return format_value(str(value))


def _exact_per_million(value: int | float) -> str:
    """Every digit of a per-token price per 1M tokens (``$2.5000000001``), at least cents."""
    dollars = Decimal(repr(value)) * 1_000_000
    text = f"{dollars.normalize():,f}"
    if "." not in text or len(text.rsplit(".", 1)[1]) < 2:
        text = f"{dollars:,.2f}"
    return f"${text}"


def per_million_pair(before: Any, after: Any) -> tuple[str | None, str | None]:
    """``per_million`` of both sides, with every digit when the rounded figures would read
    the same although the prices differ (``$2.50 -> $2.5000000001``, not ``$2.50 -> $2.50``)."""
    shown = per_million(before), per_million(after)
    if shown[0] is None or shown[1] is None or before == after:
        return shown
    if _dollars(shown[0]) == _dollars(shown[1]):
        return _exact_per_million(before), _exact_per_million(after)
    return shown


def _dollars(text: str) -> Decimal:
    return Decimal(text.lstrip("$").replace(",", ""))


def cost_note(path: str, change: FieldChange) -> str | None:
    """``$3.00 -> $2.50 per 1M`` for a cost field with a number on at least one side."""
    if path not in COST_FIELDS:
        return None
    before, after = per_million_pair(change.before, change.after)
    if before is None and after is None:
        return None
    return f"{before or 'none'} -> {after or 'none'} per 1M"
