"""``reconciler init [DIR]``: scaffold a catalog repository (reconciler.scaffold)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from reconciler.render.scaffold import render_scaffolded
from reconciler.scaffold.repository import scaffold


def init(directory: str, tool_repository: str, tool_ref: str, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    done = scaffold(Path(directory), tool_repository=tool_repository, tool_ref=tool_ref)
    out.write(render_scaffolded(done))
    return 0
