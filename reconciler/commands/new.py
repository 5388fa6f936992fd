"""``reconciler new model`` and ``reconciler new credential``: write one new catalog file
(reconciler.scaffold.new), asking for what is missing through ``ask`` on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, TextIO

from reconciler.render.scaffold import render_written
from reconciler.scaffold import new
from reconciler.scaffold.new import Ask


def new_model(
    catalog_dir: str, given: Mapping[str, Any], ask: Ask | None = None, out: TextIO | None = None
) -> int:
    out = sys.stdout if out is None else out
    out.write(render_written(new.new_model(catalog_dir, given, ask)))
    return 0


def new_credential(
    catalog_dir: str, given: Mapping[str, Any], ask: Ask | None = None, out: TextIO | None = None
) -> int:
    out = sys.stdout if out is None else out
    out.write(render_written(new.new_credential(catalog_dir, given, ask)))
    return 0
