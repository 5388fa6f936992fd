"""A plan as terminal text, Terraform style: one line per change, field lines under updates
(and, under a create, where each secret it sets comes from); changes riskiest first, in the
PR comment's order (``view.by_risk``).

What it says comes from the shared view (reconciler.render.view), so text, markdown and JSON
say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.plan.model import Action, Change, FieldChange, Plan, SecretStatus
from reconciler.plan.status import CheckKind, Level
from reconciler.render.alerts import alert_text
from reconciler.render.status import (
    StatusRow,
    header_items,
    is_footer_note,
    said_by_status,
    shown_notes,
    status_rows,
)
from reconciler.render.values import cost_note, field_value, format_value, one_line
from reconciler.render.view import (
    SECRET_TEXT,
    AlertItem,
    PlanView,
    by_risk,
    change_detail,
    change_flags,
    created_secrets,
    join_words,
    no_changes_text,
    plan_view,
    ref_before_text,
    ref_text,
    ref_value_text,
    sensitive_status,
    shows_fields,
    slug_change_text,
    summary_line,
    title,
)
from reconciler.words import plural

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

# --- text ------------------------------------------------------------------------------------


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        return "".join(styles) + text + _RESET


def _item(text: str, mark: str) -> str:
    """``text`` after ``mark`` on one line: an alert's line breaks come only from its data
    (a workflow name from the registry), which must not start lines of its own."""
    return mark + one_line(text)


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
    before, after = field_value(path, change.before), field_value(path, change.after)
    line = f"{path}: {format_value(before)} -> {format_value(after)}"
    note = cost_note(path, change)
    return f"{line}  ({note})" if note else line


def created_secret_line(path: str, change: FieldChange) -> str:
    """A secret a create sets: where its value comes from, never the value
    (``api_key: env ANTHROPIC_API_KEY (sensitive value added)``)."""
    status = sensitive_status(path, change) or SecretStatus.ADDED
    if change.ref is not None:
        return f"{path}: {ref_text(change.ref.after)} ({ref_value_text(change.ref)})"
    return f"{path}: ({SECRET_TEXT[status]})"


def _change_lines(change: Change, paint: _Painter) -> list[str]:
    head = f"{change.action.symbol} {title(change)} ({', '.join(change_flags(change))})"
    detail = change_detail(change)
    if detail:
        head += f"  {detail}"
    lines = [paint(head, _ACTION_COLOR[change.action])]
    if (slug := slug_change_text(change)) is not None:
        lines.append(_item(slug, "    "))
    # a create is one line, but its secrets say where their values come from
    lines.extend(f"    {created_secret_line(path, fc)}" for path, fc in created_secrets(change))
    if shows_fields(change):
        lines.extend(f"    {field_line(path, fc)}" for path, fc in change.fields.items())
    for warning in change.warnings:
        text = alert_text(warning)
        lines.append(paint(_item(text, "    ! "), _YELLOW))
    return lines


def change_lines(plan: Plan, *, color: bool = False) -> list[str]:
    """The plan's changes in the text plan's lines (a line each, field lines under), in
    apply order: what apply reports it wrote."""
    paint = _Painter(color)
    return [line for change in plan.changes for line in _change_lines(change, paint)]


def _items(items: Sequence[AlertItem], mark: str) -> list[str]:
    return [_item(item.text, mark) for item in items]


def error_lines(plan: Plan) -> list[str]:
    """The plan's errors as text items (``  x ...``): plan, drift and apply all show them so."""
    return _items(plan_view(plan).errors, "  x ")


def note_lines(plan: Plan) -> list[str]:
    """The plan's notes as text (``Note: ...``), as plan and drift show them."""
    return _items(plan_view(plan).notes, "Note: ")


def refusal_message(plan: Plan, allowed: frozenset[str]) -> str | None:
    """Why apply refuses ``plan`` (its errors, else the guards whose flag was not given), in
    the words the plan used; None when it does not."""
    if plan.errors:
        return f"the plan has {plural(len(plan.errors), 'error')}:\n" + "\n".join(error_lines(plan))
    refused = plan.refused_by(set(allowed))
    if not refused:
        return None
    lines = [_item(f"{g.kind}: {alert_text(g)} (needs {g.flag})", "  ! ") for g in refused]
    return "apply refused by safety guards:\n" + "\n".join(lines)


def render_text(plan: Plan, *, color: bool = False, allowed: frozenset[str] = frozenset()) -> str:
    """The plan for a terminal. ANSI colours only when ``color`` is true. ``allowed`` holds
    the guard flags apply was given (``--allow-breaking``): those guards are shown as allowed
    rather than as refusing."""
    paint = _Painter(color)
    view = plan_view(plan, allowed)
    blocks: list[list[str]] = []
    if header := _header(plan):
        blocks.append([paint(line, _BOLD) for line in header])
    if plan.compared:
        before, after = (name or "base" for name in plan.compared)
        blocks.append([paint(f"Comparing {before} -> {after}", _BOLD)])
    rows = _check_rows(plan, allowed)
    if checks := _checks(rows, paint):
        blocks.append(checks)
    if view.errors:
        heading = f"{plural(len(view.errors), 'error')}: the plan cannot be applied."
        block = [paint(heading, _BOLD, _RED)]
        block.extend(paint(line, _RED) for line in _items(view.errors, "  x "))
        blocks.append(block)
    if view.notes:
        # the brief footer note of the markdown says the same; a terminal has room for it
        shown = shown_notes(plan) + [n for n in plan.notes if is_footer_note(n)]
        if any(r.check is CheckKind.SECRETS for r in rows):  # that row says it, with why
            shown = [n for n in shown if not said_by_status(n)]
        if notes := _items([n for n in view.notes if n.alert in shown], "Note: "):
            blocks.append(notes)  # every note said elsewhere: no empty block, no blank run
    if plan.changes:
        # riskiest first, as the PR comment lists them; apply's report keeps apply order
        changes = by_risk(plan.changes)
        blocks.append([line for change in changes for line in _change_lines(change, paint)])
    blocks.append(_footer(view, paint))
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _header(plan: Plan) -> list[str]:
    """``Environment: production``, ``Registry: PostgreSQL db:5432/registry``, ``Commit: ...``,
    ``Reconciler: 0.1.0``: what the plan is for."""
    return [f"{label.capitalize()}: {ref_text(value)}" for label, value in header_items(plan)]


_LEVEL_MARK = {Level.WARN: ("  ! ", _YELLOW), Level.FAIL: ("  x ", _RED)}


def _check_rows(plan: Plan, allowed: frozenset[str]) -> list[StatusRow]:
    """The status checks that are not ok (guards, reverts, secrets): the rows of the
    markdown's status table that need the reader."""
    return [
        r
        for r in status_rows(plan, allowed)
        # errors have their own block, which says the plan cannot be applied
        if r.level is not Level.OK and r.check is not CheckKind.VALIDATION
    ]


def _checks(rows: list[StatusRow], paint: _Painter) -> list[str]:
    """The check rows, each with what to do."""
    if not rows:
        return []
    lines = [paint("Checks:", _BOLD)]
    for row in rows:
        mark, color = _LEVEL_MARK[row.level]
        text = f"{row.check.value.replace('-', ' ')}: {row.result}"
        lines.append(paint(_item(text, mark), color))
        if row.todo:
            lines.append(_item(f"to do: {row.todo}", "      "))
    return lines


def _footer(view: PlanView, paint: _Painter) -> list[str]:
    plan = view.plan
    if not plan.changes:
        if plan.errors:
            return ["No changes planned, but the plan has errors (see above)."]
        return [paint(no_changes_text(plan), _BOLD)]
    lines = [paint(summary_line(plan), _BOLD)]
    if plan.errors:
        lines.append(f"Apply is blocked by {plural(len(plan.errors), 'error')}.")
    if view.refused:
        flags = view.refused
        lines.append(f"Apply will refuse unless {join_words(flags)} {_be(flags)} given.")
    if view.given:
        lines.append(f"Safety guards allowed by {join_words(view.given)}.")
    return lines


def _be(items: Sequence[str]) -> str:
    return "is" if len(items) == 1 else "are"
