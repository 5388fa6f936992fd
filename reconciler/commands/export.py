"""``reconciler export``: write the live registry as a catalog directory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from reconciler.export.documents import build_export
from reconciler.export.files import refuse_mixing, write_files
from reconciler.pipeline import read_live
from reconciler.render.export import render_export


def export(db_url: str, out_dir: str, out: TextIO | None = None, force: bool = False) -> int:
    out = sys.stdout if out is None else out
    root = Path(out_dir)
    if not force:
        refuse_mixing(root, out_dir)
    result = build_export(read_live(db_url), root)
    write_files(root, out_dir, result.files)
    out.write(render_export(result, root))
    return 0
