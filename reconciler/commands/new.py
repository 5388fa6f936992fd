"""``reconciler new model`` and ``reconciler new credential``: write one new catalog file
(reconciler.scaffold.new), asking for what is missing through ``ask`` on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from reconciler.extras import require
from reconciler.render.scaffold import render_cancelled, render_written
from reconciler.scaffold import new
from reconciler.scaffold.new import Ask, Cancelled, Written

# Ctrl-C at a question: the exit code of an interrupted command; Ctrl-D: a plain "no", as at
# apply's confirmation.
INTERRUPTED_EXIT = 130
CANCELLED_EXIT = 1


def _write(kind: str, make: Callable[[], Written], out: TextIO | None) -> int:
    out = sys.stdout if out is None else out
    try:
        written = make()
    except Cancelled as stop:
        out.write(render_cancelled(kind))
        return INTERRUPTED_EXIT if stop.interrupted else CANCELLED_EXIT
    out.write(render_written(written))
    return 0


def new_model(
    catalog_dir: str, given: Mapping[str, Any], ask: Ask | None = None, out: TextIO | None = None
) -> int:
    require("litellm", "new model")  # before any question is asked
    return _write("model", lambda: new.new_model(catalog_dir, given, ask), out)


def new_credential(
    catalog_dir: str, given: Mapping[str, Any], ask: Ask | None = None, out: TextIO | None = None
) -> int:
    return _write("credential", lambda: new.new_credential(catalog_dir, given, ask), out)
