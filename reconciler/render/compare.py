"""Two environments compared (``reconciler compare A B``) in the words of a comparison.

The comparison is a plan made by the diff engine (A as the registry, B as the catalog), but
nothing is applied: an object only A defines is not "deactivated", it is "only in A". Each
difference reads as what it is: in both with different fields, only in A, only in B, or
renamed (B's ``previous_slugs`` names A's slug). Secrets are compared by reference, so a
secret field shows the two references and never a claim about the values.

JSON shape (``format_version`` "1")::

    {"format_version": "1", "from": "staging", "to": "production",
     "summary": {"differ": n, "only_in_from": n, "only_in_to": n, "renamed": n},
     "differences": [{"kind", "key", "previous_key", "presence", "fields": {path: {...}}}],
     "notes": [ALERT]}

``presence`` is ``both`` (the fields differ), ``only_in_from``, ``only_in_to`` or ``renamed``
(``previous_key`` is A's name). A field is ``{"from": value, "to": value}``; a secret is
``{"sensitive": true, "from": "env A", "to": "env B"}`` (references, never values).
A catalog that fails validation gives ``{"format_version": "1", "diagnostics": [...]}``
instead (the diagnostics as in the JSON plan).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from reconciler.plan.model import Action, Change, FieldChange, Plan
from reconciler.render.plan_json import alert_to_json
from reconciler.render.plan_text import field_line
from reconciler.render.values import escape_control, plain
from reconciler.render.view import change_detail, plan_view, ref_text, sensitive_status, title
from reconciler.words import plural

FORMAT_VERSION = "1"
MARKER = "<!-- reconciler-compare -->"
_PRESENCE = {
    Action.CREATE: "only_in_to",
    Action.DEACTIVATE: "only_in_from",
    Action.DELETE: "only_in_from",
    Action.RENAME: "renamed",
    Action.UPDATE: "both",
    Action.REACTIVATE: "both",
}
_SYMBOL = {"only_in_to": "+", "only_in_from": "-", "renamed": ">", "both": "~"}


def _names(plan: Plan) -> tuple[str, str]:
    before, after = plan.compared or ("", "")
    return before or "base", after or "base"


def presence(change: Change) -> str:
    """Where the object is: ``both``, ``only_in_from``, ``only_in_to`` or ``renamed``."""
    return _PRESENCE[change.action]


def _words(change: Change, before: str, after: str) -> str:
    where = presence(change)
    if where == "only_in_from":
        return f"only in {before}; {after} does not define it"
    if where == "only_in_to":
        detail = change_detail(change)
        return f"only in {after}" + (f"  {detail}" if detail else "")
    if where == "renamed":
        return f"renamed: {change.previous_key} in {before}, {change.key} in {after}"
    return "differs"


def _field_text(path: str, change: FieldChange) -> str:
    if sensitive_status(path, change) is None:
        return field_line(path, change)
    if change.ref is not None and change.ref.before:
        return f"{path}: {ref_text(change.ref.before)} -> {ref_text(change.ref.after)}"
    return f"{path}: (secret reference differs)"


def summary_line(plan: Plan) -> str:
    before, after = _names(plan)
    if not plan.changes:
        return f"{before} and {after} define the same objects with the same fields."
    counts = Counter(presence(c) for c in plan.changes)
    parts = [
        f"{counts['both']} in both with different fields",
        f"{counts['only_in_from']} only in {before}",
        f"{counts['only_in_to']} only in {after}",
    ]
    if counts["renamed"]:
        parts.append(f"{counts['renamed']} renamed")
    total = plural(len(plan.changes), "object")
    return f"{before} and {after} differ in {total}: {', '.join(parts)}."


def render_compare_text(plan: Plan) -> str:
    before, after = _names(plan)
    blocks = [[f"Comparing {escape_control(before)} -> {escape_control(after)}"]]
    view = plan_view(plan)
    notes = [*view.errors, *view.notes]
    if notes:
        blocks.append([f"Note: {escape_control(item.text)}" for item in notes])
    if plan.changes:
        lines = []
        for change in plan.changes:
            where = presence(change)
            lines.append(f"{_SYMBOL[where]} {title(change)}: {_words(change, before, after)}")
            if where in ("both", "renamed"):
                lines.extend(
                    f"    {escape_control(_field_text(p, fc))}" for p, fc in change.fields.items()
                )
        blocks.append(lines)
    blocks.append([summary_line(plan)])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def render_compare_markdown(plan: Plan) -> str:
    """A heading, the summary, and the differences as text in a code block whose fence no
    value can close (environment names are letters, digits, '-' and '_')."""
    before, after = _names(plan)
    head = f"{MARKER}\n## Reconciler compare\n\nComparing **{before}** → **{after}**\n\n"
    head += f"**{summary_line(plan)}**\n"
    blocks = render_compare_text(plan).rstrip("\n").split("\n\n")[1:-1]
    if not blocks:
        return head
    body = "\n\n".join(blocks) + "\n"
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{head}\n{fence}diff\n{body}{fence}\n"


def _field_json(path: str, change: FieldChange) -> dict[str, Any]:
    if sensitive_status(path, change) is None:
        return {"from": plain(change.before), "to": plain(change.after)}
    ref = change.ref
    return {
        "sensitive": True,
        "from": ref.before if ref is not None and ref.before else None,
        "to": ref.after if ref is not None else None,
    }


def compare_to_dict(plan: Plan) -> dict[str, Any]:
    before, after = _names(plan)
    counts = Counter(presence(c) for c in plan.changes)
    return {
        "format_version": FORMAT_VERSION,
        "from": before,
        "to": after,
        "summary": {
            "differ": counts["both"],
            "only_in_from": counts["only_in_from"],
            "only_in_to": counts["only_in_to"],
            "renamed": counts["renamed"],
        },
        "differences": [
            {
                "kind": c.kind.value,
                "key": c.key,
                "previous_key": c.previous_key if c.action is Action.RENAME else None,
                "presence": presence(c),
                "fields": {p: _field_json(p, fc) for p, fc in c.fields.items()}
                if presence(c) in ("both", "renamed")
                else {},
            }
            for c in plan.changes
        ],
        "notes": [alert_to_json(a) for a in [*plan.errors, *plan.notes]],
    }


def render_compare(plan: Plan, fmt: str) -> str:
    """The comparison as ``fmt`` (text, markdown or json; anything else is text)."""
    if fmt == "json":
        return json.dumps(compare_to_dict(plan), indent=2) + "\n"
    if fmt == "markdown":
        return render_compare_markdown(plan)
    return render_compare_text(plan)
