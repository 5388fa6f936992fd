"""``reconciler drift``: what differs between the catalog and the registry, and why
(reconciler.drift.report), rendered by reconciler.render.drift."""

from __future__ import annotations

import sys
from typing import TextIO

from reconciler.drift.report import check_drift
from reconciler.render.drift import render_drift


def drift(
    catalog_dir: str,
    db_url: str,
    fmt: str,
    out: TextIO | None = None,
    *,
    ignore_unmanaged: bool = False,
    environment: str | None = None,
) -> int:
    """Exit 0 without drift, 2 with drift, 1 when the plan has errors (drift unknown).

    Rows the catalog does not manage are drift unless ``ignore_unmanaged``: then they are
    listed for information only."""
    out = sys.stdout if out is None else out
    report = check_drift(
        catalog_dir, db_url, ignore_unmanaged=ignore_unmanaged, environment=environment
    )
    out.write(render_drift(report, fmt))
    return report.exit_code
