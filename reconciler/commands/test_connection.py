"""``reconciler test-connection``: a minimal live call to each model, in parallel.

Models come from the catalog (``--catalog``; secrets resolved from their sources) or from the
live registry (``--db``; through ``RegistryClient``). ``--catalog`` wins over a database URL
from REGISTRY_DATABASE_URL (the CLI refuses a ``--db`` typed beside it); with neither,
``./catalog`` is used.
``--changed`` tests only the catalog models the current plan creates or changes, or whose
credential it creates or changes (it needs the catalog and the database).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from reconciler.pipeline import connection_targets
from reconciler.providers.connection import check_timeout, run_connection_tests
from reconciler.render.connections import (
    NO_MODELS,
    progress,
    unused_credential_note,
    write_results,
)


def run(
    slugs: Sequence[str],
    changed: bool,
    db_url: str | None,
    catalog_dir: str | None,
    timeout: float,
    out: TextIO | None = None,
    err: TextIO | None = None,
    environment: str | None = None,
) -> int:
    """Exit 0 when every tested model answered, 1 when any failed (or could not be tested)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    check_timeout(timeout)
    targets = connection_targets(
        slugs,
        changed_only=changed,
        db_url=db_url,
        catalog_dir=catalog_dir,
        environment=environment,
    )
    for name in targets.unused_credentials:
        err.write(unused_credential_note(name))
    if not targets.ready and not targets.failed:
        out.write(NO_MODELS)
        return 0
    tty = out.isatty() and err.isatty()
    if tty and targets.ready:
        with progress(len(targets.ready), err) as advance:
            tested = run_connection_tests(targets.ready, timeout, on_result=advance)
    else:
        tested = run_connection_tests(targets.ready, timeout)
    position = {slug: i for i, slug in enumerate(targets.selected)}
    results = sorted([*tested, *targets.failed], key=lambda r: position.get(r.slug, len(position)))
    write_results(results, out, tty=tty)
    return 0 if all(r.ok for r in results) else 1
