"""``reconciler export``: write the live registry as a catalog directory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from reconciler.export.documents import build_export
from reconciler.export.files import refuse_mixing, write_files
from reconciler.export.sops import collect, referenced_files
from reconciler.files import not_directory
from reconciler.pipeline import bound_unnamed, read_live
from reconciler.plan.refusals import Purpose
from reconciler.render.binding import bound_unnamed as render_bound_unnamed
from reconciler.render.export import out_not_a_directory, render_export


def export(
    db_url: str,
    out_dir: str,
    out: TextIO | None = None,
    force: bool = False,
    catalog_dir: str = "catalog",
    environment: str | None = None,
) -> int:
    out = sys.stdout if out is None else out
    if environment is not None:
        from reconciler.catalog.environments import require_known_environment

        require_known_environment(catalog_dir, environment)
    if (kind := not_directory(out_dir)) is not None:
        raise out_not_a_directory(out_dir, kind)
    root = Path(out_dir)
    if not force:
        refuse_mixing(root, out_dir)
    live = read_live(db_url, environment, purpose=Purpose.EXPORT)
    if (note := bound_unnamed(live, environment, Purpose.EXPORT)) is not None:
        sys.stderr.write(render_bound_unnamed(note))
    result = build_export(live, root)
    sops = collect(referenced_files(live.credentials.values()), Path(catalog_dir))
    write_files(
        root, out_dir, {**result.files, **{root / n: data for n, data in sops.files.items()}}
    )
    out.write(render_export(result, root, sops))
    return 0
