"""Pausing CPython's cyclic GC around bulk work that builds many long-lived, acyclic objects.

Such work (loading a catalog, diffing and writing thousands of models) makes the GC rescan a
large and growing heap again and again while finding nothing to free; at 10k models that
costs more than the work itself. Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic GC for the block; restore its previous state afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
