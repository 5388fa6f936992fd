"""``reconciler schema --out DIR``: write the published JSON Schemas for a catalog repository.

Editors (yaml-language-server) and check-jsonschema read them; the document schema refers to
the kind schemas by relative file name, so the files must stay together.
"""

from __future__ import annotations

import sys
from typing import TextIO

from reconciler.catalog.schema import DOCUMENT_FILE, SCHEMA_FILES, copy_schemas
from reconciler.files import not_directory
from reconciler.render.catalog import schemas_out_not_a_directory, schemas_written


def schema(out_dir: str, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    if (kind := not_directory(out_dir)) is not None:
        raise schemas_out_not_a_directory(out_dir, kind)
    root = copy_schemas(out_dir)
    out.write(schemas_written(len(SCHEMA_FILES), root, DOCUMENT_FILE))
    return 0
