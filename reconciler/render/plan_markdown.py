"""A plan as a GitHub pull-request comment.

Layout, action first: a hidden marker (so CI can find and update its previous comment), one
line naming the target (environment, registry database, catalog commit, reconciler version),
the summary line (actions with a count only), the status table (one row per check, a breaking
change a row of its own, each with what to do: its fix, the label that approves it), the
errors and the notes it points at, a table of counts by kind and action (again only the
actions the plan has), then the changes by risk: changes to existing rows (breaking first,
then removals, reverts of application edits, updates), renames, and new rows; each row
carries its change's warnings. A short update shows its fields before → after in its row; a
longer one, and every create, also gets a collapsible field table. Notes that hold on every
CI plan are one sentence in the footer. No timestamps: rerunning an unchanged plan gives the
same text. Secrets are never shown, only their references; values are escaped so no catalog
text can break the tables or inject markup.

GitHub refuses comments over 65,536 characters, so a comment keeps to ``COMMENT_BUDGET``:
alerts list their first items and count the rest; creates lose their field tables first,
then model creates are named only. A plan that still does not fit is split into numbered
follow-up comments (``render_markdown_parts``, ``plan --split-dir``); as one comment
(``render_markdown``) it lists what fits, riskiest first, and counts the rest by action. The
summary line and the counts table always give the true totals.
"""

from __future__ import annotations

import enum
import html
import math
import re
import sys
from collections import Counter
from typing import Any

from reconciler.plan.model import ACTIONS, Action, Change, FieldChange, Kind, Plan
from reconciler.plan.status import Level, uncompared_secrets
from reconciler.render.alerts import alert_text
from reconciler.render.pages import Block, Item, Packed, Run, Section, pack
from reconciler.render.status import (
    footer_note,
    header_items,
    is_footer_note,
    said_by_status,
    shown_notes,
    status_rows,
)
from reconciler.render.values import (
    escape_control,
    field_value,
    format_value,
    one_line,
    per_million,
    per_million_pair,
)
from reconciler.render.view import (
    ADOPT_LABEL,
    SECRET_TEXT,
    Risk,
    by_risk,
    change_detail,
    change_name,
    created_fields,
    created_secrets,
    no_changes_text,
    plan_view,
    ref_before_text,
    ref_text,
    ref_value_text,
    risk,
    sensitive_status,
    slug_change_text,
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
    lines = [_md_line(line, in_table) for line in _lines(text)]
    if _BLOCK_START.match(lines[0]):
        lines[0] = "\\" + lines[0]
    return "<br>".join(lines)


def _lines(text: str) -> list[str]:
    """``text``'s lines, without the empty ones its trailing line breaks make (a YAML block
    scalar ends with one): joined by ``<br>``, they would leave a dangling break."""
    lines = escape_control(text).split("\n")
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


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
    return _code_span(one_line(text) or " ")


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
    for line in _lines(text):
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
    for row in status_rows(plan, allowed, approve="label", code=md_inert, reasons_only=True):
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
    # a pull request comment: why a secret could not be read, never the source's details
    view = plan_view(plan, allowed, untrusted=md_inert, approve="label", reasons_only=True)
    blocks: list[list[str]] = []

    def add(kind: str, heading: str, items: list[str], noun: str) -> None:
        nonlocal room
        block = _alert(kind, heading, items, min(room, ALERT_BUDGET), noun)
        room -= _cost(block)
        blocks.append(block)

    shown = shown_notes(plan)
    if plan.changes or plan.errors or uncompared_secrets(plan):
        table = _status_table(plan, allowed)
        room -= _cost(table)
        blocks.append(table)
        shown = [n for n in shown if not said_by_status(n)]
    if view.errors:
        heading = f"{plural(len(view.errors), 'error')}: the plan cannot be applied."
        add("CAUTION", heading, [_prose(e.text) for e in view.errors], "error")
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


# --- changes, riskiest first -----------------------------------------------------------------

# An update shows up to this many fields inline in its row (before → after), each value at
# most INLINE_VALUE characters; longer or more fields also get the collapsible field table.
INLINE_FIELDS = 4
INLINE_VALUE = 60
# A field table longer than this is left out (a comment could not hold it): the full plan
# shows it.
TABLE_BUDGET = 16_000
# Past this many creates their field tables (a model's takes a few hundred characters) do not
# fit in a comment: the renderer does not build them to find out.
FULL_CREATES = COMMENT_BUDGET // 200
_COST_LABELS = {"cost.input_per_token": "input", "cost.output_per_token": "output"}
_TABLE_HEAD = ("| | action | name | details |", "|:-:|:--|:--|:--|")
_ROW_TOO_LONG = "| | | | _this row is too long for a comment: `reconciler plan` shows it_ |"
_NO_CREATE_TABLES = (
    "_The field tables of new rows are left out to fit the comment: `reconciler plan` shows "
    "every value they set._"
)
_TABLE_TOO_LONG = "_A field table too long for a comment was left out: `reconciler plan` shows it._"


class CreateDetail(enum.IntEnum):
    """How creates are shown, from most to least room: rows with field tables, rows, or
    (model creates) names only."""

    FULL = 0
    ROWS = 1
    COMPACT = 2


def _short_value(value: Any) -> str:
    return "_none_" if value is None else md_code(format_value(value))


def _percent(before: Any, after: Any) -> str:
    """`` (-25%)`` (with a minus sign): how much a price moved, or nothing when it cannot be
    said."""
    numbers = [v for v in (before, after) if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) < 2 or not all(math.isfinite(v) for v in numbers) or before <= 0:
        return ""
    change = (after - before) / before * 100
    text = f"{change:+.0f}" if abs(change) >= 1 else f"{change:+.1f}"
    if float(text) == 0:
        return ""
    return f" ({text.replace('-', '−')}%)"


def _too_long(value: Any) -> bool:
    if value is None:
        return False
    text = value if isinstance(value, str) else format_value(value)
    return "\n" in text or len(format_value(value)) > INLINE_VALUE


def inline_field(path: str, change: FieldChange) -> str | None:
    """One field's change for a table row, before → after: ``input $2.00 → $1.50 /1M (-25%)``
    for a price, the values as code otherwise; for a secret only its source and what is known
    of its value. None when a value is too long for a row."""
    name = md_code(path)
    status = sensitive_status(path, change)
    if status is not None and change.ref is not None:
        ref = change.ref
        if _too_long(ref.before) or _too_long(ref.after):
            return None
        no_ref = ref_before_text(change)
        before = md_code(ref_text(ref.before)) if no_ref is None else f"_{no_ref}_"
        after = md_code(ref_text(ref.after))
        return f"{name} {before} {ARROW} {after} _({ref_value_text(ref)})_"
    if status is not None:
        return f"{name} _{SECRET_TEXT[status]}_"
    if path in COST_FIELDS:
        dollars = per_million_pair(change.before, change.after)
        if dollars != (None, None):
            was, now = (d or "_none_" for d in dollars)
            label = _COST_LABELS[path]
            return f"{label} {was} {ARROW} {now} /1M{_percent(change.before, change.after)}"
    if _too_long(change.before) or _too_long(change.after):
        return None
    before, after = field_value(path, change.before), field_value(path, change.after)
    return f"{name} {_short_value(before)} {ARROW} {_short_value(after)}"


def _inline_fields(change: Change) -> tuple[list[str], bool]:
    """The fields a row shows inline, prices first, and whether that is all of them (no
    field table then)."""
    fields = sorted(change.fields.items(), key=lambda item: item[0] not in COST_FIELDS)
    shown = [text for path, fc in fields if (text := inline_field(path, fc)) is not None]
    return shown[:INLINE_FIELDS], len(shown) == len(change.fields) <= INLINE_FIELDS


def _flags(change: Change) -> list[str]:
    flags = []
    if change.adopt:
        flags.append(ADOPT_LABEL)
    if change.breaking:
        flags.append("**breaking**")
    flags.extend(f"⚠️ {md_text(alert_text(w, md_inert))}" for w in change.warnings)
    return flags


def _details_cell(change: Change) -> str:
    """What a change does: a create's description and secret sources; an update's fields
    before → after (the rest in its field table); then its flags and warnings."""
    lines: list[str] = []
    if (slug := slug_change_text(change, md_code)) is not None:
        lines.append(slug)
    detail = change_detail(change)
    if change.action is Action.CREATE:
        parts = [md_text(detail)] if detail else []
        # where each new secret comes from (a reference, never the value)
        sources = [
            f"{md_text(path)} from {md_code(ref_text(fc.ref.after))}"
            for path, fc in created_secrets(change)
            if fc.ref is not None
        ]
        if sources:
            parts.append(", ".join(sources))
        lines.append("; ".join(parts))
    elif change.fields:
        shown, whole = _inline_fields(change)
        lines.extend(shown)
        if not whole:
            more = len(change.fields) - len(shown)
            lead = "and " if shown else ""
            noun = "more field" if shown else "field"
            lines.append(f"_{lead}{plural(more, noun)}{_pointer(change)}")
    elif detail:
        lines.append(md_text(detail))
    if flags := _flags(change):
        lines.append("; ".join(flags))
    return "<br>".join(line for line in lines if line)


# A row whose fields do not all fit says where the rest are, and that depends on where its
# field table lands once the comment is packed: the row holds a stand-in (control characters,
# which rendered text never holds: they are escaped), and the table a tag, both resolved after
# packing. The stand-in is as long as the longest pointer, so packing never underestimates.
_POINTER_RE = re.compile(r"\x00(\d+)\x00+")
_TABLE_TAG_RE = re.compile(r"\x01(\d+)\x01")
_POINTER_LEN = len(" in the table in part 9999_")


def _pointer(change: Change) -> str:
    return f"\x00{id(change)}\x00".ljust(_POINTER_LEN, "\x00")


def _pointer_text(table_part: int | None, row_part: int) -> str:
    """The end of ``_and 1 more field``: where its field table is, if in any comment."""
    if table_part is None:
        return "_ (full plan only)"
    if table_part == row_part:
        return " in the table below_"
    return f" in the table in part {table_part + 1}_"


def _resolve_pointers(parts: list[list[list[str]]]) -> list[list[list[str]]]:
    """``parts`` with each row's pointer saying where its field table is, tags removed."""
    table_part: dict[str, int] = {}
    for number, blocks in enumerate(parts):
        for line in (line for block in blocks for line in block):
            for tag in _TABLE_TAG_RE.findall(line):
                table_part[tag] = number

    def fix(line: str, number: int) -> str:
        line = _TABLE_TAG_RE.sub("", line)
        return _POINTER_RE.sub(lambda m: _pointer_text(table_part.get(m[1]), number), line)

    return [
        [[fix(line, number) for line in block] for block in blocks]
        for number, blocks in enumerate(parts)
    ]


def _name_cell(change: Change) -> str:
    if change.kind is Kind.SETTINGS:
        return change.kind.value
    if change.previous_key and change.action is Action.RENAME:
        return f"{change.kind.value} {md_code(change.previous_key)} {ARROW} {md_code(change.key)}"
    return f"{change.kind.value} {md_code(change.key)}"


def _change_row(change: Change) -> Item:
    action, name, details = change.action, _name_cell(change), _details_cell(change)
    return Item(f"| `{action.symbol}` | {action.value} | {name} | {details} |", action)


def _field_details(change: Change) -> Item:
    """The collapsible field table of a change: every value a create sets, the before and
    after of every field other changes touch."""
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
    text = "\n".join([summary, "", *rows, "", "</details>"])
    if len(text) > TABLE_BUDGET:
        return Item(_TABLE_TOO_LONG)
    return Item(f"\x01{id(change)}\x01{text}")  # the tag: where rows find their table


def _rows_and_tables(changes: list[Change], tables: bool) -> tuple[Run | Block, ...]:
    """A table of ``changes``, then the field tables of those that need one."""
    run = Run(_TABLE_HEAD, tuple(_change_row(c) for c in changes), _ROW_TOO_LONG)
    blocks = [
        Block(_field_details(c), _TABLE_TOO_LONG)
        for c in changes
        if c.fields and tables and (c.action is Action.CREATE or not _inline_fields(c)[1])
    ]
    return (run, *blocks)


def _creates(changes: list[Change], level: CreateDetail) -> Section:
    if level is CreateDetail.FULL:
        return Section("### New rows", _rows_and_tables(changes, True))
    if level is CreateDetail.ROWS:
        note = Item(_NO_CREATE_TABLES)
        return Section("### New rows", (*_rows_and_tables(changes, False), Block(note, "")))
    # Names only for models; credentials (few, with their secret sources) keep their rows.
    rows = [c for c in changes if c.kind is not Kind.MODEL]
    models = [c for c in changes if c.kind is Kind.MODEL]
    pieces: list[Run | Block] = list(_rows_and_tables(rows, False)) if rows else []
    if models:
        label = (
            f"**{plural(len(models), 'model')} to create**, by name to fit the comment "
            "(`reconciler plan` shows their fields):"
        )
        names = tuple(Item(md_inert(c.key), Action.CREATE) for c in models)
        pieces.append(Run((label,), names, "`…`", ", "))
    return Section("### New rows", tuple(pieces))


def _pack_body(plan: Plan, room: int, part_room: int, split: bool) -> Packed:
    """The changes by risk (``risk``; plan order within a rank): changes to existing rows
    (breaking, removals, reverts, updates), renames, then new rows in the first level that
    fits one comment: with their field tables, without, then (models) by name only. Failing
    that, split across comments when ``split`` (never dropping a row), else cut where the
    comment ends."""
    ordered = by_risk(plan.changes)
    existing = [c for c in ordered if risk(c) < Risk.RENAME]
    renames = [c for c in ordered if risk(c) is Risk.RENAME]
    creates = [c for c in ordered if risk(c) is Risk.CREATE]
    # built once: only the new rows differ between levels
    sections = []
    if existing:
        sections.append(Section("### Changes to existing rows", _rows_and_tables(existing, True)))
    if renames:
        sections.append(Section("### Renames", _rows_and_tables(renames, True)))
    levels = (
        [CreateDetail.ROWS, CreateDetail.COMPACT]
        if len(creates) > FULL_CREATES
        else list(CreateDetail)
    )
    if not creates or pack(sections, room, part_room, 1).left_out:
        levels = [CreateDetail.COMPACT]  # nothing to shorten, or the riskier rows alone overflow
    for level in levels:
        body = sections + ([_creates(creates, level)] if creates else [])
        packed = pack(body, room, part_room, 1)
        if not packed.left_out or level is CreateDetail.COMPACT:
            break
    if packed.left_out and split:
        return pack(body, room, part_room, sys.maxsize)
    return packed


def marker(environment: str, part: int = 1) -> str:
    """The sticky comment's marker: one comment per environment, each found by its own; a
    follow-up part of a long plan has its own (``<!-- reconciler-plan part=2 -->``)."""
    fields = [f"environment={environment}"] if environment else []
    if part > 1:
        fields.append(f"part={part}")
    return MARKER.replace("-->", "".join(f"{f} " for f in fields) + "-->")


def render_markdown(plan: Plan, *, allowed: frozenset[str] = frozenset()) -> str:
    """The plan as one PR comment, starting with the ``<!-- reconciler-plan -->`` marker.
    ``allowed`` holds the guard flags apply was given: those guards read as allowed.
    At most ``COMMENT_BUDGET`` characters: past it, lists are cut short and say what they
    left out; the summary line and the table of counts always give the true totals."""
    return _render(plan, allowed, split=False)[0]


def render_markdown_parts(plan: Plan, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The plan as PR comments, each within ``COMMENT_BUDGET``: the first as
    ``render_markdown`` gives it when the whole plan fits, else the plan split across
    numbered follow-up comments, each with its own marker (``marker(environment, n)``), so
    that no change is left out."""
    return _render(plan, allowed, split=True)


def _render(plan: Plan, allowed: frozenset[str], split: bool) -> list[str]:
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
        head.append([f"**{no_changes_text(plan)}**"])
    counts = [_counts_table(plan)] if plan.changes else []
    tail = [[footer]] if (footer := _footer(plan)) else []
    # room for the note on what was left out (at its longest) or on where the plan goes on
    everything = [Item("", c.action) for c in plan.changes]
    everything += [Item("") for c in plan.changes if c.fields]
    reserved = max(len(_left_out(everything)), len(_continued(sys.maxsize, sys.maxsize)))
    reserved = reserved + 2 if plan.changes else 0
    room = COMMENT_BUDGET - len(_joined(head + counts + tail)) - reserved
    alerts, room = _top_alerts(plan, allowed, room)
    blocks = head + alerts + counts
    if not plan.changes:
        return [_joined(blocks + tail)]
    # a follow-up part's room: what its heading and its note take at their longest
    longest = sys.maxsize
    part_room = COMMENT_BUDGET - len(_joined(_part_head(plan, longest, longest)))
    part_room -= len(_continued(longest, longest)) + 2
    packed = _pack_body(plan, room, part_room, split)
    packed.parts = _resolve_pointers(packed.parts)
    total = len(packed.parts)
    first = blocks + packed.parts[0]
    if total > 1:
        first.append([_continued(1, total)])
    if packed.left_out:
        first.append([_left_out(packed.left_out)])
    out = [_joined(first + tail)]
    for number, body in enumerate(packed.parts[1:], start=2):
        part = _part_head(plan, number, total) + body
        if number < total:
            part.append([_continued(number, total)])
        out.append(_joined(part))
    return out


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


def _part_head(plan: Plan, number: int, total: int) -> list[list[str]]:
    head = [[marker(plan.environment, number), f"{HEADING}, part {number} of {total}"]]
    if target := _target_line(plan):
        head.append([target])
    return head


def _continued(number: int, total: int) -> str:
    return (
        f"<sub>This plan is too long for one comment: it goes on in part {number + 1} of "
        f"{total}, the next comment of the reconciler.</sub>"
    )


def _left_out(items: list[Item]) -> str:
    """``12 changes not listed (10 to create, 2 to update) and 3 field tables left out``."""
    counts = Counter(i.action for i in items if i.action is not None)
    tables = sum(i.action is None for i in items)
    rows = sum(counts.values())
    what = []
    if rows:
        actions = ", ".join(f"{counts[a]} to {a.value}" for a in ACTIONS if counts[a])
        what.append(f"{plural(rows, 'change')} not listed ({actions})")
    if tables:
        what.append(f"{plural(tables, 'field table')} left out")
    return (
        f"<sub>{' and '.join(what)} to keep this comment under GitHub's size limit; the full "
        "plan is in the JSON and text output of <code>reconciler plan</code> (in CI, an "
        "artifact of the run).</sub>"
    )


def _joined(blocks: list[list[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"
