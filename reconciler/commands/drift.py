from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import sqlalchemy as sa

from reconciler.db import tables as t
from reconciler.db.engine import make_engine
from reconciler.diff.diff import DiffOptions
from reconciler.plan.build import make_plan
from reconciler.render.plan_json import plan_to_dict
from reconciler.render.plan_text import render_text
from reconciler.state.live import LiveState


def _last_applied_digest(db_url: str) -> str | None:
    engine = make_engine(db_url)
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


def drift(catalog_dir: str, db_url: str, fmt: str, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    planned = make_plan(catalog_dir, db_url, options=DiffOptions())
    plan, extra = planned.plan, unmanaged(planned.live)
    last = _last_applied_digest(db_url)
    if last is None:
        cause = "the catalog was never applied to this registry"
    elif last == plan.catalog_digest:
        cause = (
            "the catalog is unchanged since the last apply, so these rows were edited outside it"
        )
    else:
        cause = "the catalog changed since the last apply (unapplied changes), or rows were edited"
    drifted = plan.has_changes or bool(extra) or bool(plan.errors)
    if fmt == "json":
        document: dict[str, Any] = {
            "drift": drifted,
            "cause": cause if drifted else None,
            "managed": plan_to_dict(plan),
            "unmanaged": extra,
        }
        out.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return 2 if drifted else 0
    if not drifted:
        out.write("No drift: the registry matches the catalog and holds no unmanaged rows.\n")
        return 0
    if plan.has_changes or plan.errors:
        out.write(f"Managed rows differ from the catalog ({cause}).\n")
        out.write("Applying the catalog would make these changes (before = registry):\n\n")
        out.write(render_text(plan))
    if extra:
        out.write(
            f"\n{len(extra)} row(s) not managed by the catalog (created in the application):\n"
        )
        for row in extra:
            out.write(f"  ? {row['kind']} {row['key']}\n")
        out.write(
            "  Adopt them with 'reconciler export --out DIR', copy the files into the catalog, "
            "and 'reconciler apply --adopt'.\n"
        )
    return 2
