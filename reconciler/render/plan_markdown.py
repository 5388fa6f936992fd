"""A plan as a GitHub pull-request comment.

Layout: a hidden marker (so CI can find and update its previous comment), the summary line,
alert blocks for errors, tripped guards, warnings and notes, a table of counts by kind and
action, then one section per kind: a table of its changes in plan order and a collapsible
field table for every change that lists fields. No timestamps: rerunning an unchanged plan
gives the same text. Secrets are never shown; values are escaped so no catalog text can break
the tables or inject markup.
"""

from __future__ import annotations

import html
import re
from typing import Any

from reconciler.plan.model import ACTIONS, Action, Change, FieldChange, Kind, Plan
from reconciler.render.plan_text import (
    NO_CHANGES,
    SECRET_TEXT,
    change_flags,
    describe_create,
    escape_control,
    format_value,
    join_words,
    per_million,
    per_million_pair,
    plural,
    ref_text,
    ref_value_text,
    required_flags,
    sensitive_status,
    shows_fields,
    summary_line,
)
from reconciler.state.records import COST_FIELDS

MARKER = "<!-- reconciler-plan -->"
HEADING = "## Reconciler plan"

_KIND_HEADINGS = {Kind.CREDENTIAL: "Credentials", Kind.MODEL: "Models", Kind.SETTINGS: "Settings"}
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_BLOCK_START = re.compile(r"^(?:[-+#=]|\d+[.)])")


# --- escaping --------------------------------------------------------------------------------


def md_text(text: str) -> str:
    """Prose safe for a table cell, list item or alert: HTML and Markdown specials escaped,
    line breaks as ``<br>``."""
    text = html.escape(escape_control(text), quote=False)
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    if _BLOCK_START.match(text):
        text = "\\" + text
    return "<br>".join(line.rstrip("\r") for line in text.split("\n"))


def md_code(text: str) -> str:
    """``text`` as inline code safe inside a table: one code span per line joined by ``<br>``,
    fences longer than any run of backticks in the text, pipes escaped."""
    spans = []
    for line in escape_control(text).split("\n"):
        if not line:
            spans.append("")
            continue
        longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
        fence = "`" * (longest + 1)
        pad = " " if line.startswith("`") or line.endswith("`") else ""
        body = line.replace("|", "\\|")
        spans.append(f"{fence}{pad}{body}{pad}{fence}")
    return "<br>".join(spans)


def _h(text: str) -> str:
    """Text for inside raw HTML (``<summary>``), where Markdown is not parsed."""
    return html.escape(escape_control(text).replace("\n", " "))


# --- values ----------------------------------------------------------------------------------


def _value_cell(path: str, value: Any, dollars: str | None = None) -> str:
    if value is None:
        cell = "_none_"
    elif isinstance(value, str) and "\n" in value:
        cell = md_code(value)
    else:
        cell = md_code(format_value(value))
    if path in COST_FIELDS and (dollars := dollars or per_million(value)) is not None:
        cell += f" ({md_text(dollars)} per 1M)"
    return cell


def _field_row(path: str, change: FieldChange) -> str:
    status = sensitive_status(path, change)
    if status is not None and change.ref is not None:
        ref = change.ref
        before = md_code(ref_text(ref.before))
        after = f"{md_code(ref_text(ref.after))} _({ref_value_text(ref)})_"
    elif status is not None:
        before, after = "_hidden_", f"_{SECRET_TEXT[status]}_"
    else:
        dollars = per_million_pair(change.before, change.after)
        before = _value_cell(path, change.before, dollars[0])
        after = _value_cell(path, change.after, dollars[1])
    return f"| {md_code(path)} | {before} | {after} |"


# --- sections --------------------------------------------------------------------------------


def _alert(kind: str, heading: str, items: list[str]) -> list[str]:
    lines = [f"> [!{kind}]"]
    if heading:
        lines.append(f"> **{heading}**")
        lines.append(">")
    lines.extend(f"> - {item}" for item in items)
    return lines


def _top_alerts(plan: Plan) -> list[list[str]]:
    blocks: list[list[str]] = []
    if plan.errors:
        heading = f"{plural(len(plan.errors), 'error')}: the plan cannot be applied."
        blocks.append(_alert("CAUTION", heading, [md_text(e) for e in plan.errors]))
    if plan.guards:
        flags = [md_code(f) for f in required_flags(plan)]
        verb = "is" if len(flags) == 1 else "are"
        heading = f"Apply will refuse unless {join_words(flags)} {verb} given."
        items = [
            f"**{md_text(g.name)}**: {md_text(g.message)} ({md_code(g.flag)})" for g in plan.guards
        ]
        blocks.append(_alert("WARNING", heading, items))
    warned = [c for c in plan.changes if c.warnings]
    if warned:
        items = [
            f"**{md_text(_title(c))}** ({md_text(', '.join(change_flags(c)))}): {md_text(w)}"
            for c in warned
            for w in c.warnings
        ]
        breaking = sum(c.breaking for c in plan.changes)
        heading = (
            f"Workflow impact: {plural(breaking, 'breaking change')}"
            if breaking
            else "Workflow impact"
        )
        blocks.append(_alert("WARNING", heading, items))
    if plan.notes:
        blocks.append(_alert("NOTE", "", [md_text(n) for n in plan.notes]))
    return blocks


def _counts_table(plan: Plan) -> list[str]:
    kinds = [k for k in Kind if any(c.kind is k for c in plan.changes)]
    lines = [
        "| | " + " | ".join(a.value for a in ACTIONS) + " |",
        "|:--|" + "--:|" * len(ACTIONS),
    ]
    for kind in kinds:
        counts = [sum(c.kind is kind and c.action is a for c in plan.changes) for a in ACTIONS]
        lines.append(f"| {_KIND_HEADINGS[kind].lower()} | " + " | ".join(map(str, counts)) + " |")
    if len(kinds) > 1:
        totals = plan.summary()
        cells = " | ".join(f"**{totals[a.value]}**" for a in ACTIONS)
        lines.append(f"| **total** | {cells} |")
    return lines


def _details_cell(change: Change) -> str:
    parts: list[str] = []
    if change.action is Action.CREATE:
        described = describe_create(change)
        if described:
            parts.append(md_text(described))
    elif change.fields:
        parts.append(plural(len(change.fields), "field") + " changed")
    if change.adopt:
        parts.append("adopts an unmanaged row")
    if change.breaking:
        parts.append("**breaking**")
    parts.extend(f"⚠️ {md_text(w)}" for w in change.warnings)
    return "; ".join(parts)


def _name(change: Change) -> str:
    if change.action is Action.RENAME and change.previous_key:
        return f"{change.previous_key} → {change.key}"
    return change.key


def _title(change: Change) -> str:
    """``model gpt-4o``, ``model old → new``, or plain ``settings``."""
    if change.kind is Kind.SETTINGS:
        return change.kind.value
    return f"{change.kind.value} {_name(change)}"


def _name_cell(change: Change) -> str:
    if change.previous_key and change.action is Action.RENAME:
        return f"{md_code(change.previous_key)} → {md_code(change.key)}"
    return md_code(change.key)


def _kind_section(kind: Kind, changes: list[Change]) -> list[str]:
    lines = [
        f"### {_KIND_HEADINGS[kind]}",
        "",
        f"| | action | {kind.value} | details |",
        "|:-:|:--|:--|:--|",
    ]
    lines.extend(
        f"| `{c.action.symbol}` | {c.action.value} | {_name_cell(c)} | {_details_cell(c)} |"
        for c in changes
    )
    for change in changes:
        if not shows_fields(change):
            continue
        subject = (
            f"<b>{kind.value}</b>"
            if kind is Kind.SETTINGS
            else f"{kind.value} <b>{_h(_name(change))}</b>"
        )
        count = plural(len(change.fields), "field") + " changed"
        lines += [
            "",
            f"<details><summary><code>{_h(change.action.symbol)}</code> {change.action.value} "
            f"{subject}: {count}</summary>",
            "",
            "| field | before | after |",
            "|:--|:--|:--|",
            *(_field_row(path, fc) for path, fc in change.fields.items()),
            "",
            "</details>",
        ]
    return lines


def render_markdown(plan: Plan) -> str:
    """The plan as a PR comment, starting with the ``<!-- reconciler-plan -->`` marker."""
    blocks: list[list[str]] = [[MARKER, HEADING]]
    if plan.changes:
        blocks.append([f"**{summary_line(plan)}**"])
    elif plan.errors:
        blocks.append(["**No changes planned**, but the plan has errors."])
    else:
        blocks.append([f"**{NO_CHANGES}**"])
    blocks.extend(_top_alerts(plan))
    if plan.changes:
        blocks.append(_counts_table(plan))
        for kind in Kind:
            of_kind = [c for c in plan.changes if c.kind is kind]
            if of_kind:
                blocks.append(_kind_section(kind, of_kind))
    footer = []
    if plan.catalog_digest:
        footer.append(f"catalog <code>{_h(plan.catalog_digest)}</code>")
    if plan.revision:
        footer.append(f"registry revision {plan.revision}")
    if footer:
        blocks.append([f"<sub>Planned from {' against '.join(footer)}.</sub>"])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"
