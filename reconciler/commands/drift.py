"""``reconciler drift``: what differs between the catalog and the registry, and why.

Each changed row is attributed by the digest the reconciler stored when it last wrote it:
edited in the registry (the application changed it), or a catalog change not applied yet.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import sqlalchemy as sa

from reconciler.db import tables as t
from reconciler.db.engine import make_engine
from reconciler.diff.diff import DiffOptions
from reconciler.plan.build import make_plan
from reconciler.plan.model import Change, Kind, Plan
from reconciler.render.plan_json import plan_to_dict
from reconciler.render.plan_text import escape_control, render_text, shows_fields, title
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveCredential, LiveModel, LiveSettings, LiveState
from reconciler.state.records import applied_digest
from reconciler.words import plural


def _last_applied_digest(db_url: str) -> str | None:
    engine = make_engine(db_url, create=False)
    try:
        with engine.connect() as conn:
            query = sa.select(t.reconcile_runs.c.catalog_digest).order_by(
                t.reconcile_runs.c.id.desc()
            )
            return conn.execute(query.limit(1)).scalar()
    finally:
        engine.dispose()


def unmanaged(live: LiveState) -> list[dict[str, str]]:
    rows = [
        {"kind": "credential", "key": name, "provider": c.state.provider}
        for name, c in sorted(live.credentials.items())
        if not c.managed
    ]
    rows += [
        {"kind": "model", "key": slug, "provider": str(m.state.get("provider"))}
        for slug, m in sorted(live.models.items())
        if not m.managed and m.active
    ]
    if live.settings is not None and not live.settings.managed:
        rows.append({"kind": "settings", "key": "settings", "provider": ""})
    return rows


EDITED = "edited"  # changed in the registry since the reconciler wrote it
UNAPPLIED = "unapplied"  # the registry row is as applied: the catalog changed since
UNKNOWN = "unknown"  # no digest to compare (the row was written before migration 0003)


def _live_row(live: LiveState, change: Change) -> LiveCredential | LiveModel | LiveSettings | None:
    if change.kind is Kind.CREDENTIAL:
        return live.credentials.get(change.key)
    if change.kind is Kind.MODEL:
        return live.models.get(change.previous_key or change.key)
    return live.settings


def _desired_digest(desired: DesiredState, change: Change) -> str | None:
    """The digest the row would have once applied; None when it left the catalog."""
    if change.kind is Kind.MODEL:
        model = desired.models.get(change.key)
        return None if model is None else model.digest
    if change.kind is Kind.CREDENTIAL:
        cred = desired.credentials.get(change.key)
        return None if cred is None else applied_digest(cred.fields())
    return None if desired.settings is None else applied_digest(desired.settings.fields())


def attribute(
    plan: Plan, desired: DesiredState, live: LiveState, catalog_unchanged: bool
) -> dict[str, list[str]]:
    """Which changed rows were edited in the registry and which wait for an apply. A row can
    be both: edited in the application while the catalog changed it too."""
    out: dict[str, list[str]] = {EDITED: [], UNAPPLIED: [], UNKNOWN: []}
    for change in plan.changes:
        row = _live_row(live, change)
        if row is None:  # a create: a new catalog entry, or a row deleted in the registry
            out[EDITED if catalog_unchanged else UNAPPLIED].append(change.title)
        elif row.edited is None:
            # Without a digest, an unchanged catalog still means the registry moved.
            out[EDITED if catalog_unchanged else UNKNOWN].append(change.title)
        else:
            if row.edited:
                out[EDITED].append(change.title)
            # Secret-only changes leave the digest alone: they come from the catalog's sources.
            if not row.edited or _desired_digest(desired, change) != row.applied:
                out[UNAPPLIED].append(change.title)
    return out


def _differs(change: Change) -> str:
    """What to say after a changed row's title: the fields that differ, else the action."""
    if shows_fields(change):
        return ": " + ", ".join(escape_control(path) for path in change.fields)
    return f" ({change.action})"


def _errors_text(plan: Plan) -> str:
    """The plan's errors, shown as plan shows them: drift cannot be told while they stand."""
    lines = [f"Cannot check drift: the plan has {plural(len(plan.errors), 'error')}."]
    for error in plan.errors:
        first, *rest = escape_control(error).split("\n")
        lines += [f"  x {first}", *(f"    {line}" for line in rest)]
    return "\n".join(lines) + "\n"


def drift(catalog_dir: str, db_url: str, fmt: str, out: TextIO | None = None) -> int:
    """Exit 0 without drift, 2 with drift, 1 when the plan has errors (drift unknown)."""
    out = sys.stdout if out is None else out
    planned = make_plan(catalog_dir, db_url, options=DiffOptions())
    plan, extra = planned.plan, unmanaged(planned.live)
    last = _last_applied_digest(db_url)
    buckets = attribute(plan, planned.stamped.desired, planned.live, last == plan.catalog_digest)
    drifted = plan.has_changes or bool(extra) or bool(plan.errors)
    if fmt == "json":
        document: dict[str, Any] = {
            "drift": drifted,
            "catalog_applied": last == plan.catalog_digest,
            "edited_in_registry": buckets[EDITED],
            "not_yet_applied": buckets[UNAPPLIED],
            "unattributed": buckets[UNKNOWN],
            "changed_fields": {c.title: list(c.fields) for c in plan.changes if shows_fields(c)},
            "errors": list(plan.errors),
            "managed": plan_to_dict(plan),
            "unmanaged": extra,
        }
        out.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return 1 if plan.errors else 2 if drifted else 0
    if plan.errors:
        out.write(_errors_text(plan))
        return 1
    if not drifted:
        out.write("No drift: the registry matches the catalog and holds no unmanaged rows.\n")
        return 0
    blocks: list[str] = []
    if plan.has_changes:
        if last is None:
            lines = ["The catalog was never applied to this registry."]
        elif last == plan.catalog_digest:
            lines = ["The catalog is unchanged since the last apply."]
        else:
            lines = ["The catalog changed since the last apply."]
        labels = (
            (EDITED, "Edited in the registry since the last apply (outside the catalog)"),
            (UNAPPLIED, "Catalog changes not applied yet"),
            (UNKNOWN, "Changed, origin unknown (row written before drift tracking)"),
        )
        by_title = {c.title: c for c in plan.changes}
        for bucket, label in labels:
            if buckets[bucket]:
                lines.append(f"{label}: {len(buckets[bucket])}")
                lines += [
                    f"  {title(by_title[key])}{_differs(by_title[key])}" for key in buckets[bucket]
                ]
        blocks.append("\n".join(lines) + "\n")
        blocks.append(
            "Applying the catalog would make these changes (before = registry):\n\n"
            + render_text(plan)
        )
    if extra:
        lines = [
            f"{plural(len(extra), 'row')} not managed by the catalog (created in the application):"
        ]
        for row in extra:
            # settings are a single row: "? settings", not "? settings settings"
            name = row["kind"] if row["kind"] == row["key"] else f"{row['kind']} {row['key']}"
            lines.append(f"  ? {escape_control(name)}")
        lines.append(
            "  Adopt them with 'reconciler export --out DIR', copy the files into the catalog, "
            "and 'reconciler apply --adopt'."
        )
        blocks.append("\n".join(lines) + "\n")
    out.write("\n".join(blocks))
    return 2
