"""A plan as a GitHub pull-request comment.

Layout: a hidden marker (so CI can find and update its previous comment), the summary line,
alert blocks for errors, tripped guards, warnings and notes, a table of counts by kind and
action, then one section per kind: a table of its changes in plan order and a collapsible
field table for every change that lists fields (a create lists every value it sets). No
timestamps: rerunning an unchanged plan gives the same text. Secrets are never shown; values
are escaped so no catalog text can break the tables or inject markup. Field tables that would
take the comment past GitHub's size limit are left out, and the comment says so.
"""

from __future__ import annotations

import html
import re
from typing import Any

from reconciler.plan.model import ACTIONS, Action, Change, FieldChange, Kind, Plan
from reconciler.render.plan_text import (
    NO_CHANGES,
    SECRET_TEXT,
    allowed_flags,
    change_flags,
    created_fields,
    describe_create,
    escape_control,
    format_value,
    join_words,
    per_million,
    per_million_pair,
    ref_text,
    ref_value_text,
    refused_flags,
    sensitive_status,
    summary_line,
)
from reconciler.state.records import COST_FIELDS
from reconciler.words import plural

MARKER = "<!-- reconciler-plan -->"
HEADING = "## Reconciler plan"
# GitHub refuses comment bodies over 65,536 characters; field tables stop short of that,
# leaving room for the note that says some were left out.
COMMENT_BUDGET = 60_000
NO_FIELDS_REACTIVATE = "no field changes; the row comes back as it was"

_KIND_HEADINGS = {Kind.CREDENTIAL: "Credentials", Kind.MODEL: "Models", Kind.SETTINGS: "Settings"}
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_BACKTICKS = re.compile(r"`+")
_BLOCK_START = re.compile(r"^(?:[-+#=]|\d+[.)])")


# --- escaping --------------------------------------------------------------------------------


def md_text(text: str, *, in_table: bool = True) -> str:
    """Prose safe for a table cell, list item or alert: HTML and Markdown specials escaped,
    line breaks as ``<br>``. Code spans (text in backticks) are kept as written,
    since Markdown shows their content literally; in a table (the default) their pipes are
    escaped too, as GitHub splits cells before it finds code spans. Outside a table pass
    ``in_table=False``, where such an escape would show."""
    lines = [_md_line(line, in_table) for line in escape_control(text).split("\n")]
    if _BLOCK_START.match(lines[0]):
        lines[0] = "\\" + lines[0]
    return "<br>".join(lines)


def _md_line(line: str, in_table: bool) -> str:
    """One line: code spans kept, every other backtick and special escaped, so the spans
    Markdown finds are exactly the ones found here."""
    out: list[str] = []
    plain_from = pos = 0
    while (opener := _BACKTICKS.search(line, pos)) is not None:
        # A span closes at the next run of exactly as many backticks (CommonMark); an
        # opener without one is literal text.
        width = len(opener.group())
        closer = next(
            (m for m in _BACKTICKS.finditer(line, opener.end()) if len(m.group()) == width),
            None,
        )
        if closer is None:
            pos = opener.end()
            continue
        span = line[opener.start() : closer.end()]
        out.append(_md_plain(line[plain_from : opener.start()]))
        out.append(span.replace("|", "\\|") if in_table else span)
        plain_from = pos = closer.end()
    out.append(_md_plain(line[plain_from:]))
    return "".join(out)


def _md_plain(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


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


def _created_row(path: str, change: FieldChange) -> str:
    """A created field: its value, or for a secret only what the plan knows of it."""
    status = sensitive_status(path, change)
    if status is not None and change.ref is not None:
        value = f"{md_code(ref_text(change.ref.after))} _({ref_value_text(change.ref)})_"
    elif status is not None:
        value = f"_{SECRET_TEXT[status]}_"
    else:
        value = _value_cell(path, change.after)
    return f"| {md_code(path)} | {value} |"


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


def _guard_heading(plan: Plan, allowed: frozenset[str]) -> str:
    sentences = []
    if refused := [md_code(f) for f in refused_flags(plan, allowed)]:
        verb = "is" if len(refused) == 1 else "are"
        sentences.append(f"Apply will refuse unless {join_words(refused)} {verb} given.")
    if given := [md_code(f) for f in allowed_flags(plan, allowed)]:
        sentences.append(f"Safety guards allowed by {join_words(given)}.")
    return " ".join(sentences)


def _top_alerts(plan: Plan, allowed: frozenset[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    if plan.errors:
        heading = f"{plural(len(plan.errors), 'error')}: the plan cannot be applied."
        blocks.append(_alert("CAUTION", heading, [_prose(e) for e in plan.errors]))
    if plan.guards:
        items = [
            f"**{_prose(g.name)}**: {_prose(g.message)} "
            f"({'allowed by ' if g.flag in allowed else ''}{md_code(g.flag)})"
            for g in plan.guards
        ]
        blocks.append(_alert("WARNING", _guard_heading(plan, allowed), items))
    warned = [c for c in plan.changes if c.warnings]
    if warned:
        items = [
            f"**{_prose(_title(c))}** ({_prose(', '.join(change_flags(c)))}): {_prose(w)}"
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
        blocks.append(_alert("NOTE", "", [_prose(n) for n in plan.notes]))
    return blocks


def _prose(text: str) -> str:
    """``md_text`` for an alert line, outside any table."""
    return md_text(text, in_table=False)


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
    elif change.action is Action.REACTIVATE:
        parts.append(NO_FIELDS_REACTIVATE)
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


def _change_table(kind: Kind, changes: list[Change]) -> list[str]:
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
    return lines


def _field_details(change: Change) -> str:
    """The collapsible field table of a change with fields: every value a create sets, the
    before and after of every field other changes touch."""
    if change.action is Action.CREATE:
        count = plural(len(change.fields), "field")
        rows = ["| field | value |", "|:--|:--|"]
        rows += [_created_row(path, fc) for path, fc in created_fields(change)]
    else:
        count = plural(len(change.fields), "field") + " changed"
        rows = ["| field | before | after |", "|:--|:--|:--|"]
        rows += [_field_row(path, fc) for path, fc in change.fields.items()]
    subject = (
        f"<b>{change.kind.value}</b>"
        if change.kind is Kind.SETTINGS
        else f"{change.kind.value} <b>{_h(_name(change))}</b>"
    )
    summary = (
        f"<details><summary><code>{_h(change.action.symbol)}</code> {change.action.value} "
        f"{subject}: {count}</summary>"
    )
    return "\n".join(["", summary, "", *rows, "", "</details>"])


def _sections(plan: Plan, room: int) -> tuple[list[list[str]], int]:
    """One section per kind: its change table, then the field tables that fit in ``room``
    characters, in plan order; also how many field tables were left out."""
    tables = {k: _change_table(k, [c for c in plan.changes if c.kind is k]) for k in Kind}
    kinds = [k for k in Kind if any(c.kind is k for c in plan.changes)]
    room -= sum(len("\n".join(tables[k])) + 2 for k in kinds)
    sections, left_out = [], 0
    for kind in kinds:
        lines = tables[kind]
        for change in plan.changes:
            if change.kind is not kind or not change.fields:
                continue
            # Once one table does not fit, leave out the rest too (without building them):
            # the comment then shows a prefix of the plan's field tables, not a selection.
            details = "" if left_out else _field_details(change)
            if left_out or len(details) + 1 > room:
                left_out += 1
                continue
            room -= len(details) + 1
            lines.append(details)
        sections.append(lines)
    return sections, left_out


def render_markdown(plan: Plan, *, allowed: frozenset[str] = frozenset()) -> str:
    """The plan as a PR comment, starting with the ``<!-- reconciler-plan -->`` marker.
    ``allowed`` holds the guard flags apply was given: those guards read as allowed."""
    blocks: list[list[str]] = [[MARKER, HEADING]]
    if plan.changes:
        blocks.append([f"**{summary_line(plan)}**"])
    elif plan.errors:
        blocks.append(["**No changes planned**, but the plan has errors."])
    else:
        blocks.append([f"**{NO_CHANGES}**"])
    blocks.extend(_top_alerts(plan, allowed))
    if plan.changes:
        blocks.append(_counts_table(plan))
    footer = []
    if plan.catalog_digest:
        footer.append(f"catalog <code>{_h(plan.catalog_digest)}</code>")
    if plan.revision:
        footer.append(f"registry revision {plan.revision}")
    tail = [[f"<sub>Planned from {' against '.join(footer)}.</sub>"]] if footer else []
    if plan.changes:
        # room for the note on left-out tables at its longest (every change left out)
        used = len(_joined(blocks + tail)) + len(_left_out(len(plan.changes))) + 2
        sections, left_out = _sections(plan, COMMENT_BUDGET - used)
        blocks.extend(sections)
        if left_out:
            blocks.append([_left_out(left_out)])
    return _joined(blocks + tail)


def _left_out(count: int) -> str:
    return (
        f"<sub>{plural(count, 'field table')} left out to keep this comment under GitHub's "
        "size limit; <code>reconciler plan</code> shows every field.</sub>"
    )


def _joined(blocks: list[list[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"
