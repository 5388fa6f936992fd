"""A drift report (reconciler.drift.report) as text for a terminal or scheduled job, or as JSON.

JSON shape: ``drift``, ``catalog_applied``, ``edited_in_registry`` / ``not_yet_applied`` /
``conflicts`` / ``unattributed`` (change titles), ``fields_by_origin`` (origin -> title ->
paths), ``secrets_differ_from_source`` (``credential``, ``field``,
``compared_by``), ``secrets_not_compared``, ``changed_fields`` (title -> paths), ``errors``
(as in the JSON plan), ``managed`` (the JSON plan), ``unmanaged`` (``kind``, ``key``,
``provider``) and ``unmanaged_ignored``. A catalog that fails validation gives the JSON
plan's ``{"format_version": "3", "diagnostics": [...]}`` instead.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.drift.report import ComparedBy, DriftReport, Origin, SecretFinding, UnmanagedRow
from reconciler.plan.model import Change
from reconciler.render.plan_json import plan_to_dict
from reconciler.render.plan_text import error_lines, note_lines, render_text
from reconciler.render.values import one_line
from reconciler.render.view import change_title, shows_fields, title
from reconciler.words import plural

_HOW = {
    ComparedBy.VALUE: "value differs",
    ComparedBy.VERSION: "source version differs; values were not compared",
    ComparedBy.REFERENCE: "the registry's copy names no source",
}
_LABELS = (
    (Origin.EDITED, "Edited in the registry since the last apply (outside the catalog)"),
    (Origin.UNAPPLIED, "Catalog changes not applied yet"),
    (
        Origin.CONFLICT,
        "Conflicts: changed in the registry and in the catalog since the last apply "
        "(applying writes the catalog's value)",
    ),
    (Origin.UNKNOWN, "Changed, origin unknown (row written before drift tracking)"),
)


def render_drift_json(report: DriftReport) -> str:
    plan = report.plan
    managed = plan_to_dict(plan)

    def titles(origin: Origin) -> list[str]:
        return [change_title(f.change) for f in report.by_origin(origin)]

    document: dict[str, Any] = {
        "drift": report.drifted,
        "catalog_applied": report.catalog_applied,
        "edited_in_registry": titles(Origin.EDITED),
        "not_yet_applied": titles(Origin.UNAPPLIED),
        "conflicts": titles(Origin.CONFLICT),
        "unattributed": titles(Origin.UNKNOWN),
        "fields_by_origin": {
            origin.value: {change_title(f.change): list(f.paths) for f in report.by_origin(origin)}
            for origin in (Origin.EDITED, Origin.UNAPPLIED, Origin.CONFLICT)
        },
        "secrets_differ_from_source": [
            {"credential": s.change.key, "field": s.field, "compared_by": s.compared_by.value}
            for s in report.secrets
        ],
        "secrets_not_compared": list(report.not_compared),
        "changed_fields": {
            change_title(c): list(c.fields) for c in plan.changes if shows_fields(c)
        },
        "errors": managed["errors"],
        "managed": managed,
        "unmanaged": [
            {"kind": r.kind.value, "key": r.key, "provider": r.provider} for r in report.unmanaged
        ],
        "unmanaged_ignored": report.ignore_unmanaged,
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _differs(change: Change, paths: tuple[str, ...]) -> str:
    """What to say after a changed row's title: the fields that differ, else the action."""
    if shows_fields(change) and paths:
        return ": " + ", ".join(one_line(path) for path in paths)
    return f" ({change.action})"


def _secrets_lines(secrets: tuple[SecretFinding, ...]) -> list[str]:
    lines = [
        "Secrets that differ from their source (rotated at the source, or changed in the "
        f"registry): {len(secrets)}"
    ]
    for s in secrets:
        lines.append(f"  {title(s.change)}: {one_line(s.field)} ({_HOW[s.compared_by]})")
    value = "value" if len(secrets) == 1 else "values"
    lines.append(f"  Apply to store the current {value} from the source.")
    return lines


def _unmanaged_lines(rows: tuple[UnmanagedRow, ...], ignored: bool) -> list[str]:
    head = f"{plural(len(rows), 'row')} not managed by the catalog (created in the application)"
    lines = [head + (", not counted as drift (--ignore-unmanaged):" if ignored else ":")]
    for row in rows:
        # settings are a single row: "? settings", not "? settings settings"
        name = row.kind.value if row.kind.value == row.key else f"{row.kind} {row.key}"
        lines.append(f"  ? {one_line(name)}")
    lines.append(
        "  Adopt them with 'reconciler export --out DIR', copy the files into the catalog, "
        "and 'reconciler apply --adopt'."
    )
    return lines


def _no_drift_block(report: DriftReport) -> list[str]:
    head = "No drift: the registry matches the catalog"
    head += "" if report.unmanaged else " and holds no unmanaged rows"
    if report.not_compared:
        count = plural(len(report.not_compared), "secret")
        head += f", except {count} it could not compare (see the notes)"
    return ([head + "."] if not report.drifted else []) + note_lines(report.plan)


def _findings_block(report: DriftReport) -> list[str]:
    if report.last_applied is None:
        lines = ["The catalog was never applied to this registry."]
    elif report.catalog_applied:
        lines = ["The catalog is unchanged since the last apply."]
    else:
        lines = ["The catalog changed since the last apply."]
    for origin, label in _LABELS:
        findings = report.by_origin(origin)
        if findings:
            lines.append(f"{label}: {len(findings)}")
            lines += [f"  {title(f.change)}{_differs(f.change, f.paths)}" for f in findings]
    if report.secrets:
        lines += _secrets_lines(report.secrets)
    return lines


def render_drift_text(report: DriftReport) -> str:
    plan = report.plan
    if plan.errors:
        lines = [f"Cannot check drift: the plan has {plural(len(plan.errors), 'error')}."]
        return "\n".join(lines + error_lines(plan)) + "\n"
    blocks: list[str] = []
    if not plan.has_changes:
        lines = _no_drift_block(report)
        if lines:
            blocks.append("\n".join(lines) + "\n")
    else:
        blocks.append("\n".join(_findings_block(report)) + "\n")
        blocks.append(
            "Applying the catalog would make these changes (before = registry):\n\n"
            + render_text(plan)
        )
    if report.unmanaged:
        blocks.append("\n".join(_unmanaged_lines(report.unmanaged, report.ignore_unmanaged)) + "\n")
    return "\n".join(blocks)


def render_drift(report: DriftReport, fmt: str) -> str:
    return render_drift_json(report) if fmt == "json" else render_drift_text(report)
