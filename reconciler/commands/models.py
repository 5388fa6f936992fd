"""``reconciler models``: list the live registry's models."""

from __future__ import annotations

import sys
from typing import TextIO

from reconciler.pipeline import read_live
from reconciler.render.models import render_json, render_tables
from reconciler.state.listing import model_rows


def models(
    db_url: str,
    provider: str | None,
    category: str | None,
    fmt: str,
    out: TextIO | None = None,
    environment: str | None = None,
) -> int:
    out = sys.stdout if out is None else out
    rows = model_rows(read_live(db_url, environment), provider, category)
    if fmt == "json":
        render_json(rows, out)
    else:
        render_tables(rows, out)
    return 0
