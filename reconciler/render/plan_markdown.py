"""A plan as a GitHub pull-request comment.

Layout, action first: a hidden marker (so CI can find and update its previous comment), one
line naming the target (environment, registry database, catalog commit, reconciler version),
the summary line (actions with a count only), the status table (one row per check, a breaking
change a row of its own, each with what to do: its fix, the label that approves it), the
errors and the notes it points at, a table of counts by kind and action (again only the
actions the plan has), then one section per kind: a table of its changes in plan order, whose
rows carry each change's warnings, and a collapsible field table for every change that lists
fields (a create lists every value it sets). Notes that hold on every CI plan are one sentence
in the footer. No timestamps: rerunning an unchanged plan gives the same text. Secrets are never
shown, only their references; values are escaped so no catalog text can break the tables or
inject markup.

GitHub refuses comments over 65,536 characters, so the comment keeps to ``COMMENT_BUDGET``:
past it, alerts list their first items and count the rest, change tables list their first
rows and count the rest by action, and field tables are left out, each saying so and pointing
at the full plan (the JSON and text output). The summary line and the counts table always give
the true totals.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any

from reconciler.plan.model import ACTIONS, Action, Change, FieldChange, Kind, Plan
from reconciler.plan.status import Level
from reconciler.render.alerts import alert_text
from reconciler.render.status import (
    footer_note,
    header_items,
    is_footer_note,
    shown_notes,
    status_rows,
)
from reconciler.render.values import (
    escape_control,
    field_value,
    format_value,
    per_million,
    per_million_pair,
)
from reconciler.render.view import (
    NO_CHANGES,
    SECRET_TEXT,
    change_detail,
    change_name,
    created_fields,
    created_secrets,
    plan_view,
    ref_before_text,
    ref_text,
    ref_value_text,
    sensitive_status,
    summary_line,
)
from reconciler.state.records import COST_FIELDS
from reconciler.words import plural

MARKER = "<!-- reconciler-plan -->"
HEADING = "## Reconciler plan"
# GitHub refuses comment bodies over 65,536 characters; the comment stops short of that,
# leaving room for the notes that say what was left out.
COMMENT_BUDGET = 60_000
# The most one alert (errors, warnings, notes) takes: past it, it counts the rest, leaving
# room for the change tables.
ALERT_BUDGET = 8_000
ARROW = "→"  # a rename's arrow (text writes "->")

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


def md_inert(text: str) -> str:
    """Text that did not come from the reviewed catalog (a workflow name, a row the
    application created) as one inline code span: GitHub makes no mention, issue link, emoji
    or autolink inside code, and shows HTML as written. Line breaks show as ``\\n`` so the
    span stays on one line."""
    return _code_span(escape_control(text).replace("\n", "\\n") or " ")


def _code_span(line: str) -> str:
    """One line as a code span: the fence longer than any run of backticks in it."""
    longest = max((len(run) for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def md_code(text: str) -> str:
    """``text`` as inline code safe inside a table: one code span per line joined by ``<br>``,
    fences longer than any run of backticks in the text, pipes escaped."""
    spans = []
    for line in escape_control(text).split("\n"):
        if not line:
            spans.append("")
            continue
        spans.append(_code_span(line.replace("|", "\\|")))
    return "<br>".join(spans)


def _h(text: str) -> str:
    """Text for inside raw HTML (``<summary>``), where Markdown is not parsed."""
    return html.escape(escape_control(text).replace("\n", " "))


# --- values ----------------------------------------------------------------------------------


def _value_cell(path: str, value: Any, dollars: str | None = None) -> str:
    value = field_value(path, value)
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
        no_ref = ref_before_text(change)
        before = md_code(ref_text(ref.before)) if no_ref is None else f"_{no_ref}_"
        after = f"{md_code(ref_text(ref.after))} _({ref_value_text(ref)})_"
    elif status is not None:
        before, after = "_hidden_", f"_{SECRET_TEXT[status]}_"
    else:
        dollars = per_million_pair(change.before, change.after)
        before = _value_cell(path, change.before, dollars[0])
        after = _value_cell(path, change.after, dollars[1])
    return f"| {md_code(path)} | {before} | {after} |"


# --- sections --------------------------------------------------------------------------------


def _cost(lines: list[str]) -> int:
    """The characters a block adds to the comment, with the blank line before it."""
    return len("\n".join(lines)) + 2


def _alert(kind: str, heading: str, items: list[str], room: int, noun: str) -> list[str]:
    """An alert block listing ``items`` in order, as many as fit in ``room`` characters; the
    rest are counted (``...and 950 more errors``), never silently dropped."""
    lines = [f"> [!{kind}]"]
    if heading:
        lines.append(f"> **{heading}**")
        lines.append(">")
    full = lines + [f"> - {item}" for item in items]
    if _cost(full) <= room:
        return full
    room -= _cost(lines) + len(_more_items(len(items), noun)) + 1
    shown = 0
    for item in items:
        line = f"> - {item}"
        if len(line) + 1 > room:
            break
        room -= len(line) + 1
        lines.append(line)
        shown += 1
    lines.append(_more_items(len(items) - shown, noun))
    return lines


def _more_items(count: int, noun: str) -> str:
    return (
        f"> - _…and {plural(count, 'more ' + noun)}, left out to keep this comment under "
        "GitHub's size limit: the JSON and text output of `reconciler plan` list them all._"
    )


_ICONS = {Level.OK: "✅", Level.WARN: "⚠️", Level.FAIL: "❌"}


def _status_table(plan: Plan, allowed: frozenset[str]) -> list[str]:
    """The status checks, one row each (a breaking change a row of its own), with what to
    do: the fix when one is inferred, the label that approves a guard."""
    lines = ["| | check | result | to do |", "|:-:|:--|:--|:--|"]
    for row in status_rows(plan, allowed, approve="label", code=md_inert):
        lines.append(
            f"| {_ICONS[row.level]} | {row.check.value.replace('-', ' ')} | "
            f"{md_text(row.result)} | "
            f"{md_text(row.todo)} |"
        )
    return lines


def _top_alerts(plan: Plan, allowed: frozenset[str], room: int) -> tuple[list[list[str]], int]:
    """The status table, then the errors and notes it points at, each alert at most
    ``ALERT_BUDGET`` characters and all within ``room``; also the room left. Warnings on a
    change are said once, on its row below; notes every CI plan carries are the footer's."""
    view = plan_view(plan, allowed, untrusted=md_inert)
    blocks: list[list[str]] = []

    def add(kind: str, heading: str, items: list[str], noun: str) -> None:
        nonlocal room
        block = _alert(kind, heading, items, min(room, ALERT_BUDGET), noun)
        room -= _cost(block)
        blocks.append(block)

    if plan.changes or plan.errors:
        table = _status_table(plan, allowed)
        room -= _cost(table)
        blocks.append(table)
    if view.errors:
        heading = f"{plural(len(view.errors), 'error')}: the plan cannot be applied."
        add("CAUTION", heading, [_prose(e.text) for e in view.errors], "error")
    shown = shown_notes(plan)
    if notes := [n for n in view.notes if n.alert in shown]:
        add("NOTE", "", [_prose(n.text) for n in notes], "note")
    return blocks, room


def _prose(text: str) -> str:
    """``md_text`` for an alert line, outside any table."""
    return md_text(text, in_table=False)


def _counts_table(plan: Plan) -> list[str]:
    """Counts by kind and action, only the actions the plan has."""
    kinds = [k for k in Kind if any(c.kind is k for c in plan.changes)]
    totals = plan.summary()
    actions = [a for a in ACTIONS if totals[a.value]]
    lines = [
        "| | " + " | ".join(a.value for a in actions) + " |",
        "|:--|" + "--:|" * len(actions),
    ]
    for kind in kinds:
        counts = [sum(c.kind is kind and c.action is a for c in plan.changes) for a in actions]
        lines.append(f"| {_KIND_HEADINGS[kind].lower()} | " + " | ".join(map(str, counts)) + " |")
    if len(kinds) > 1:
        cells = " | ".join(f"**{totals[a.value]}**" for a in actions)
        lines.append(f"| **total** | {cells} |")
    return lines


def _details_cell(change: Change) -> str:
    parts: list[str] = []
    detail = change_detail(change)
    if change.action is Action.CREATE:
        if detail:
            parts.append(md_text(detail))
        # where each new secret comes from (a reference, never the value)
        sources = [
            f"{md_text(path)} from {md_code(ref_text(fc.ref.after))}"
            for path, fc in created_secrets(change)
            if fc.ref is not None
        ]
        if sources:
            parts.append(", ".join(sources))
    elif change.fields:
        parts.append(plural(len(change.fields), "field") + " changed")
    elif detail:
        parts.append(md_text(detail))
    if change.adopt:
        parts.append("adopts an unmanaged row")
    if change.breaking:
        parts.append("**breaking**")
    parts.extend(f"⚠️ {md_text(alert_text(w, md_inert))}" for w in change.warnings)
    return "; ".join(parts)


def _name_cell(change: Change) -> str:
    if change.previous_key and change.action is Action.RENAME:
        return f"{md_code(change.previous_key)} → {md_code(change.key)}"
    return md_code(change.key)


def _table_head(kind: Kind) -> list[str]:
    return [
        f"### {_KIND_HEADINGS[kind]}",
        "",
        f"| | action | {kind.value} | details |",
        "|:-:|:--|:--|:--|",
    ]


def _change_row(change: Change) -> str:
    action, name, details = change.action, _name_cell(change), _details_cell(change)
    return f"| `{action.symbol}` | {action.value} | {name} | {details} |"


def _unlisted(changes: list[Change], some_listed: bool) -> str:
    """What a section's unlisted rows are: ``12 more changes not listed here: 10 to create,
    2 to update.``"""
    counts = Counter(c.action for c in changes)
    actions = ", ".join(f"{counts[a]} to {a.value}" for a in ACTIONS if counts[a])
    lead = plural(len(changes), "more change" if some_listed else "change")
    return f"_{lead} not listed here: {actions}._"


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
        else f"{change.kind.value} <b>{_h(change_name(change, ARROW))}</b>"
    )
    summary = (
        f"<details><summary><code>{_h(change.action.symbol)}</code> {change.action.value} "
        f"{subject}: {count}</summary>"
    )
    return "\n".join(["", summary, "", *rows, "", "</details>"])


def _sections(plan: Plan, room: int) -> tuple[list[list[str]], int, int]:
    """One section per kind: its change table, then the field tables, all within ``room``
    characters; also how many rows and how many field tables were left out.

    Rows come first: once one does not fit, the rest are left out too, and each section
    counts its unlisted rows by action. Field tables fill what room the rows leave, in plan
    order, and only when every row is listed. Either way the comment shows a prefix of the
    plan, not a selection."""
    kinds = [k for k in Kind if any(c.kind is k for c in plan.changes)]
    by_kind = {k: [c for c in plan.changes if c.kind is k] for k in kinds}
    # every section's heading and table head, and its note on unlisted rows at its longest
    room -= sum(_cost(_table_head(k)) + len(_unlisted(by_kind[k], True)) + 2 for k in kinds)
    rows: dict[Kind, list[str]] = {}
    rows_out = 0
    for kind in kinds:
        rows[kind] = []
        for change in by_kind[kind]:
            # once one row does not fit, leave out the rest too (without building them)
            row = "" if rows_out else _change_row(change)
            if rows_out or len(row) + 1 > room:
                rows_out += 1
                continue
            room -= len(row) + 1
            rows[kind].append(row)
    sections, tables_out = [], 0
    for kind in kinds:
        listed = rows[kind]
        unlisted = by_kind[kind][len(listed) :]
        if listed:
            lines = [*_table_head(kind), *listed]
            if unlisted:
                lines += ["", _unlisted(unlisted, True)]
        else:
            lines = [_table_head(kind)[0], "", _unlisted(unlisted, False)]
        for change in by_kind[kind]:
            if not change.fields:
                continue
            # Once one table does not fit, leave out the rest too (without building them).
            details = "" if rows_out or tables_out else _field_details(change)
            if rows_out or tables_out or len(details) + 1 > room:
                tables_out += 1
                continue
            room -= len(details) + 1
            lines.append(details)
        sections.append(lines)
    return sections, rows_out, tables_out


def marker(environment: str) -> str:
    """The sticky comment's marker: one comment per environment, each found by its own."""
    return MARKER if not environment else MARKER.replace("-->", f"environment={environment} -->")


def render_markdown(plan: Plan, *, allowed: frozenset[str] = frozenset()) -> str:
    """The plan as a PR comment, starting with the ``<!-- reconciler-plan -->`` marker.
    ``allowed`` holds the guard flags apply was given: those guards read as allowed.
    At most ``COMMENT_BUDGET`` characters: past it, lists are cut short and say what they
    left out; the summary line and the table of counts always give the true totals."""
    head: list[list[str]] = [[marker(plan.environment), HEADING]]
    if target := _target_line(plan):
        head.append([target])
    if plan.compared:
        before, after = (_h(name or "base") for name in plan.compared)
        head.append([f"Comparing **{before}** → **{after}**"])
    if plan.changes:
        head.append([f"**{summary_line(plan, zeros=False)}**"])
    elif plan.errors:
        head.append(["**No changes planned**, but the plan has errors."])
    else:
        head.append([f"**{NO_CHANGES}**"])
    counts = [_counts_table(plan)] if plan.changes else []
    tail = [[footer]] if (footer := _footer(plan)) else []
    total = len(plan.changes)
    # room for the note on what was left out, at its longest (every row and table)
    reserved = len(_left_out(total, total)) + 2 if total else 0
    room = COMMENT_BUDGET - len(_joined(head + counts + tail)) - reserved
    alerts, room = _top_alerts(plan, allowed, room)
    blocks = head + alerts + counts
    if plan.changes:
        sections, rows_out, tables_out = _sections(plan, room)
        blocks.extend(sections)
        if rows_out or tables_out:
            blocks.append([_left_out(rows_out, tables_out)])
    return _joined(blocks + tail)


def _target_line(plan: Plan) -> str:
    """``Environment **production** · Registry `PostgreSQL db:5432/registry` · Commit
    `0123abcd4567` · Reconciler `0.1.0```: what the plan is for, first."""
    items = []
    for label, value in header_items(plan):
        shown = f"**{_h(value)}**" if label == "environment" else md_inert(value)
        items.append(f"{label.capitalize()} {shown}")
    return " · ".join(items)


def _footer(plan: Plan) -> str:
    """What the plan was made from, and (once, briefly) what holds on every CI plan."""
    sentences = []
    made = []
    if plan.catalog_digest:
        made.append(f"catalog <code>{_h(plan.catalog_digest)}</code>")
    if plan.revision:
        made.append(f"registry revision {plan.revision}")
    if made:
        sentences.append(f"Planned from {' against '.join(made)}.")
    note = footer_note([n for n in plan.notes if is_footer_note(n)], code=md_inert)
    if note:
        sentences.append(_prose(note[0].upper() + note[1:] + "."))
    return f"<sub>{' '.join(sentences)}</sub>" if sentences else ""


def _left_out(rows: int, tables: int) -> str:
    if not rows:
        return (
            f"<sub>{plural(tables, 'field table')} left out to keep this comment under GitHub's "
            "size limit; <code>reconciler plan</code> shows every field.</sub>"
        )
    what = f"{plural(rows, 'change')} not listed"
    if tables:
        what += f" and {plural(tables, 'field table')} left out"
    return (
        f"<sub>{what} to keep this comment under GitHub's size limit; the full plan is in the "
        "JSON and text output of <code>reconciler plan</code> (in CI, an artifact of the run)."
        "</sub>"
    )


def _joined(blocks: list[list[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"
