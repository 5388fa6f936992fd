"""``reconciler models``: list the live registry's models."""

from __future__ import annotations

import sys
from typing import TextIO

from reconciler.defaults import DEFAULT_CATALOG
from reconciler.pipeline import bound_unnamed, read_live
from reconciler.plan.refusals import Purpose
from reconciler.render.binding import bound_unnamed as render_bound_unnamed
from reconciler.render.models import render_json, render_tables, unknown_provider
from reconciler.state.listing import known_providers, model_rows


def models(
    db_url: str,
    provider: str | None,
    category: str | None,
    fmt: str,
    out: TextIO | None = None,
    environment: str | None = None,
    catalog_dir: str = DEFAULT_CATALOG,
) -> int:
    out = sys.stdout if out is None else out
    if environment is not None:  # the catalog module is imported only then (start-up)
        from reconciler.catalog.environments import require_known_environment

        require_known_environment(catalog_dir, environment)
    live = read_live(db_url, environment, purpose=Purpose.LIST)
    if (note := bound_unnamed(live, environment, Purpose.LIST)) is not None:
        sys.stderr.write(render_bound_unnamed(note))
    if provider is not None and provider not in (known := known_providers(live)):
        raise unknown_provider(provider, known)
    rows = model_rows(live, provider, category)
    if fmt == "json":
        render_json(rows, out)
    else:
        render_tables(rows, out)
    return 0
