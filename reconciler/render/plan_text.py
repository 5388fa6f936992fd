"""A plan as terminal text, Terraform style: one line per change, field lines under updates
(and, under a create, where each secret it sets comes from).

The helpers here (value formatting, secret masking, the one-line description of a create) are
shared with the Markdown renderer so both say the same thing in the same words.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reconciler.catalog.spec import PLAIN_CONFIG_FIELDS, SECRET_FIELDS
from reconciler.plan.model import (
    ACTIONS,
    Action,
    Change,
    FieldChange,
    Kind,
    Plan,
    RefChange,
    SecretStatus,
)
from reconciler.state.records import COST_FIELDS, MODEL_FIELDS
from reconciler.words import per_million as per_million  # shared with lint
from reconciler.words import plural

NO_CHANGES = "No changes. The registry matches the catalog."
ADOPT_LABEL = "adopts an unmanaged row"

SECRET_TEXT: dict[SecretStatus, str] = {
    SecretStatus.ADDED: "sensitive value added",
    SecretStatus.CHANGED: "sensitive value changed",
    SecretStatus.UNCHANGED: "sensitive value unchanged",
    SecretStatus.UNKNOWN: "sensitive value may have changed: source version unknown",
    SecretStatus.REMOVED: "sensitive value removed",
}

# What is known about the value behind a secret whose reference changed (or, for a new
# secret, that it is added).
REF_VALUE_TEXT: dict[SecretStatus, str] = {
    SecretStatus.ADDED: SECRET_TEXT[SecretStatus.ADDED],
    SecretStatus.CHANGED: "value changed",
    SecretStatus.UNCHANGED: "value unchanged",
    SecretStatus.UNKNOWN: "value not compared",
}
# The "before" of a secret that had no reference: no value at all (a new secret), or a value
# stored without one (written by the application).
NO_VALUE = "none"
NO_REFERENCE = "stored without a reference"

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_ACTION_COLOR: dict[Action, str] = {
    Action.CREATE: _GREEN,
    Action.REACTIVATE: _GREEN,
    Action.UPDATE: _YELLOW,
    Action.RENAME: _CYAN,
    Action.DEACTIVATE: _RED,
    Action.DELETE: _RED,
}
_LOOKS_TYPED = frozenset({"true", "false", "null", "none", "(none)", "yes", "no", "on", "off"})


# --- shared helpers --------------------------------------------------------------------------


def sensitive_status(path: str, change: FieldChange) -> SecretStatus | None:
    """The secret status of a field, or None when the field is not sensitive.

    A field is sensitive when the plan marks it so, and also (defence in depth) when its name
    is a secret field of the catalog format even though the plan forgot to mark it: its values
    are then never shown either.
    """
    if change.secret is not None:
        return change.secret
    if path.rsplit(".", 1)[-1] in SECRET_FIELDS:
        return SecretStatus.CHANGED
    return None


def ref_value_text(ref: RefChange) -> str:
    return REF_VALUE_TEXT.get(ref.value, REF_VALUE_TEXT[SecretStatus.CHANGED])


def ref_before_text(change: FieldChange) -> str | None:
    """What stood before a secret whose reference is shown, when it had no reference (the
    diff's ``RefChange`` before is then empty): ``none`` for a new secret, else that a value
    is stored without a reference. None when there is a previous reference to show."""
    if change.ref is None or change.ref.before:
        return None
    return NO_VALUE if change.secret is SecretStatus.ADDED else NO_REFERENCE


def ref_text(text: str) -> str:
    """A secret reference (``env OPENAI_API_KEY``) on one line, control characters escaped."""
    return escape_control(text).replace("\n", "\\n")


def escape_control(text: str) -> str:
    """``text`` with control and other non-printable characters (ANSI escapes, bidi overrides)
    written as escapes, so values cannot rewrite a terminal or hide text. Newlines are kept."""
    if all(ch.isprintable() or ch == "\n" for ch in text):
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else _escape_char(ch) for ch in text)


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if ch == "\t":
        return "\\t"
    if ch == "\r":
        return "\\r"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


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
            out.append(_escape_char(ch))
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


def describe_create(change: Change) -> str:
    """The one-line description of a created object (never the whole object):
    ``openai/gpt-5.5, platform, premium`` for a model, ``anthropic`` for a credential."""
    values = {
        path: fc.after for path, fc in change.fields.items() if sensitive_status(path, fc) is None
    }
    parts: list[str] = []
    if change.kind is Kind.MODEL:
        provider, model_id = values.get("provider"), values.get("model_id")
        if model_id is not None:
            ident = str(model_id)
            if provider is not None and not ident.startswith(f"{provider}/"):
                ident = f"{provider}/{ident}"
            parts.append(ident)
        elif provider is not None:
            parts.append(str(provider))
        deployment = values.get("deployment")
        credential = values.get("credential")
        if deployment is not None:
            parts.append(
                f"{deployment} via {credential}" if credential is not None else str(deployment)
            )
        elif credential is not None:
            parts.append(f"via {credential}")
        if values.get("category") is not None:
            parts.append(str(values["category"]))
        if values.get("enabled") is False:
            parts.append("disabled")
        return ", ".join(escape_control(p).replace("\n", "\\n") for p in parts)
    if change.kind is Kind.CREDENTIAL:
        if values.get("provider") is not None:
            parts.append(format_value(values["provider"]))
        parts.extend(format_value(values[name]) for name in PLAIN_CONFIG_FIELDS if name in values)
        return ", ".join(parts)
    return ", ".join(f"{path}: {format_value(value)}" for path, value in values.items())


def change_flags(change: Change) -> list[str]:
    """The action word and qualifiers of a change: ``["update", "adopts an unmanaged row"]``."""
    flags = [change.action.value]
    if change.adopt:
        flags.append(ADOPT_LABEL)
    if change.breaking:
        flags.append("breaking")
    return flags


def title(change: Change) -> str:
    """``model gpt-4o``, ``model old -> new`` for a rename, plain ``settings`` for settings."""
    if change.kind is Kind.SETTINGS:
        return str(change.kind)
    return escape_control(change.title).replace("\n", "\\n")


# Created models list their fields in column order, whatever order the values came in (a
# saved plan's values are sorted by name).
_MODEL_FIELD_RANK = {path: rank for rank, (path, _column) in enumerate(MODEL_FIELDS)}


def created_fields(change: Change) -> list[tuple[str, FieldChange]]:
    """The fields of a created object in a stable order: models in column order (unknown
    paths after, as given), other kinds as the plan gives them."""
    items = list(change.fields.items())
    if change.kind is Kind.MODEL:
        items.sort(key=lambda item: _MODEL_FIELD_RANK.get(item[0], len(_MODEL_FIELD_RANK)))
    return items


def shows_fields(change: Change) -> bool:
    """In text, creates are one line; every other action lists its field changes."""
    return change.action is not Action.CREATE and bool(change.fields)


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    body = ", ".join(f"{counts[a.value]} to {a.value}" for a in ACTIONS)
    return f"Plan: {body}."


def join_words(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def required_flags(plan: Plan) -> list[str]:
    """The flags apply needs for this plan, in guard order, without repeats."""
    return list(dict.fromkeys(g.flag for g in plan.guards))


def refused_flags(plan: Plan, allowed: frozenset[str]) -> list[str]:
    """``required_flags`` that were not given: apply refuses until they are."""
    return [flag for flag in required_flags(plan) if flag not in allowed]


def allowed_flags(plan: Plan, allowed: frozenset[str]) -> list[str]:
    """``required_flags`` that were given: their guards no longer stop apply."""
    return [flag for flag in required_flags(plan) if flag in allowed]


def guard_verdict(flag: str, allowed: frozenset[str]) -> str:
    """What a tripped guard means for apply, given the flags passed to it."""
    if flag in allowed:
        return f"allowed by {flag}"
    return f"apply will refuse unless {flag} is given"


# --- text ------------------------------------------------------------------------------------


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        return "".join(styles) + text + _RESET


def _indented(text: str, first: str, rest: str) -> list[str]:
    lines = escape_control(text).split("\n")
    return [first + lines[0]] + [rest + line for line in lines[1:]]


def field_line(path: str, change: FieldChange) -> str:
    """``context_window: 128000 -> 200000``; a secret as ``api_key: (sensitive value changed)``,
    or, when its reference changed, ``api_key: env A -> env B (value unchanged)``."""
    status = sensitive_status(path, change)
    if status is not None:
        if change.ref is not None:
            ref = change.ref
            before = ref_before_text(change)
            before = ref_text(ref.before) if before is None else f"({before})"
            return f"{path}: {before} -> {ref_text(ref.after)} ({ref_value_text(ref)})"
        return f"{path}: ({SECRET_TEXT[status]})"
    line = f"{path}: {format_value(change.before)} -> {format_value(change.after)}"
    note = cost_note(path, change)
    return f"{line}  ({note})" if note else line


def created_secret_line(path: str, change: FieldChange) -> str:
    """A secret a create sets: where its value comes from, never the value
    (``api_key: env ANTHROPIC_API_KEY (sensitive value added)``)."""
    status = sensitive_status(path, change) or SecretStatus.ADDED
    if change.ref is not None:
        return f"{path}: {ref_text(change.ref.after)} ({ref_value_text(change.ref)})"
    return f"{path}: ({SECRET_TEXT[status]})"


def created_secrets(change: Change) -> list[tuple[str, FieldChange]]:
    """The secret fields a create sets, in plan order (other actions: none)."""
    if change.action is not Action.CREATE:
        return []
    return [
        (path, fc) for path, fc in change.fields.items() if sensitive_status(path, fc) is not None
    ]


def _change_lines(change: Change, paint: _Painter) -> list[str]:
    head = f"{change.action.symbol} {title(change)} ({', '.join(change_flags(change))})"
    if change.action is Action.CREATE:
        described = describe_create(change)
        if described:
            head += f"  {described}"
    lines = [paint(head, _ACTION_COLOR[change.action])]
    # a create is one line, but its secrets say where their values come from
    lines.extend(f"    {created_secret_line(path, fc)}" for path, fc in created_secrets(change))
    if shows_fields(change):
        lines.extend(f"    {field_line(path, fc)}" for path, fc in change.fields.items())
    elif change.adopt and change.action is Action.UPDATE:
        lines.append("    (no field changes; the row becomes managed by the reconciler)")
    for warning in change.warnings:
        lines.extend(paint(line, _YELLOW) for line in _indented(warning, "    ! ", "      "))
    return lines


def render_text(plan: Plan, *, color: bool = False, allowed: frozenset[str] = frozenset()) -> str:
    """The plan for a terminal. ANSI colours only when ``color`` is true. ``allowed`` holds
    the guard flags apply was given (``--allow-breaking``): those guards are shown as allowed
    rather than as refusing."""
    paint = _Painter(color)
    blocks: list[list[str]] = []
    if plan.errors:
        heading = f"{plural(len(plan.errors), 'error')}: the plan cannot be applied."
        block = [paint(heading, _BOLD, _RED)]
        for error in plan.errors:
            block.extend(paint(line, _RED) for line in _indented(error, "  x ", "    "))
        blocks.append(block)
    if plan.guards:
        block = [paint("Safety guards tripped:", _BOLD, _YELLOW)]
        for guard in plan.guards:
            block.extend(
                paint(line, _YELLOW)
                for line in _indented(f"{guard.name}: {guard.message}", "  ! ", "    ")
            )
            block.append(f"    {escape_control(guard_verdict(guard.flag, allowed))}")
        blocks.append(block)
    if plan.notes:
        blocks.append([line for note in plan.notes for line in _indented(note, "Note: ", "  ")])
    if plan.changes:
        blocks.append([line for change in plan.changes for line in _change_lines(change, paint)])
    blocks.append(_footer(plan, paint, allowed))
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _footer(plan: Plan, paint: _Painter, allowed: frozenset[str]) -> list[str]:
    if not plan.changes:
        if plan.errors:
            return ["No changes planned, but the plan has errors (see above)."]
        return [paint(NO_CHANGES, _BOLD)]
    lines = [paint(summary_line(plan), _BOLD)]
    if plan.errors:
        lines.append(f"Apply is blocked by {plural(len(plan.errors), 'error')}.")
    flags = refused_flags(plan, allowed)
    if flags:
        lines.append(f"Apply will refuse unless {join_words(flags)} {_be(flags)} given.")
    given = allowed_flags(plan, allowed)
    if given:
        lines.append(f"Safety guards allowed by {join_words(given)}.")
    return lines


def _be(items: Sequence[str]) -> str:
    return "is" if len(items) == 1 else "are"
