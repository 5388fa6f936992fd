"""``reconciler schema --out DIR``: write the published JSON Schemas for a catalog repository.

Editors (yaml-language-server) and check-jsonschema read them; the document schema refers to
the kind schemas by relative file name, so the files must stay together.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import TextIO

from reconciler.catalog.schema import DOCUMENT_FILE, KIND_FILES, OVERLAY_FILES
from reconciler.errors import CatalogError

SCHEMA_FILES = (*KIND_FILES.values(), DOCUMENT_FILE, *OVERLAY_FILES.values())


def schema(out_dir: str, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    root = Path(out_dir)
    shipped = resources.files("reconciler.schemas")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in SCHEMA_FILES:
            (root / name).write_text(shipped.joinpath(name).read_text("utf-8"), encoding="utf-8")
    except OSError as err:
        raise CatalogError(
            f"cannot write the schemas to {out_dir}: {err.strerror or err}",
            hint="pass --out a directory you can write to",
        ) from None
    out.write(
        f"wrote {len(SCHEMA_FILES)} schema files to {root}/ ({DOCUMENT_FILE} for any "
        "document, one per kind, and overlay-* for environment overlays)\n"
    )
    return 0
