"""The ``# yaml-language-server: $schema=...`` line that files written by ``new`` and
``export`` start with, so editors complete and check them.

The schemas sit in ``schemas/`` beside the catalog directory (``reconciler schema --out
schemas`` writes them there; this repository keeps them so), and the line is relative to the
file, as in the example catalog.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.catalog.schema import KIND_FILES

SCHEMAS_DIR = "schemas"


def schema_dir(catalog_root: Path) -> Path:
    return catalog_root.resolve().parent / SCHEMAS_DIR


def schema_line(path: Path, catalog_root: Path, kind: str) -> str:
    """The modeline for a ``kind`` document written to ``path`` inside ``catalog_root``."""
    target = schema_dir(catalog_root) / KIND_FILES[kind]
    relative = os.path.relpath(target, path.resolve().parent)
    return f"# yaml-language-server: $schema={Path(relative).as_posix()}\n"
