"""SIGKILL an apply of a few thousand changes at random moments: the registry is always either
exactly as before or fully applied, never in between.

RECONCILER_CRASH_ITERATIONS (default 5) sets the number of kills per backend,
RECONCILER_CRASH_MODELS (default 2000) the size of the catalog.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import apply_process, dump, model_doc, rows, scalar, write_catalog

from reconciler.db.engine import make_engine

ITERATIONS = int(os.environ.get("RECONCILER_CRASH_ITERATIONS", "5"))
MODELS = int(os.environ.get("RECONCILER_CRASH_MODELS", "2000"))


def _catalog(root: Path, context_window: int) -> Path:
    return write_catalog(
        root, [model_doc(f"crash-{i:05d}", context_window=context_window) for i in range(MODELS)]
    )


def _start(url: str, root: Path) -> subprocess.Popen[bytes]:
    return apply_process(url, root, 20, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_dead_backends(url: str) -> None:
    """On PostgreSQL the server rolls back a killed client's transaction once it notices the
    closed socket; wait until no other session is left on the database."""
    if not url.startswith("postgresql"):
        return
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                others = conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).scalar()
            if not others:
                return
            time.sleep(0.05)
        pytest.fail("the killed apply's backend did not go away")
    finally:
        engine.dispose()


def _fully_applied(url: str, context_window: int, runs_before: int) -> bool:
    runs = scalar(url, "SELECT count(*) FROM reconcile_runs")
    (count, matching) = rows(
        url,
        "SELECT count(*), sum(CASE WHEN context_window = :cw THEN 1 ELSE 0 END) FROM models "
        "WHERE managed = :t AND active = :t",
        cw=context_window,
        t=True,
    )[0]
    return bool(runs == runs_before + 1 and count == MODELS and matching == MODELS)


@pytest.mark.slow  # about 15-25 s per backend with the defaults
def test_killed_apply_is_all_or_nothing(registry_url: str, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("RECONCILER_CRASH_SEED", "0")) or None)
    root = tmp_path / "cat"
    # calibration: the first apply (all creates) runs to completion and is timed
    _catalog(root, 1000)
    started = time.monotonic()
    first = _start(registry_url, root)
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    full = time.monotonic() - started
    assert _fully_applied(registry_url, 1000, 0)

    current, outcomes = 1000, {"before": 0, "after": 0}
    for _ in range(ITERATIONS):
        target = 2000 if current == 1000 else 1000
        _catalog(root, target)  # every model changes: MODELS updates in one transaction
        snapshot: dict[str, list[tuple[Any, ...]]] = dump(registry_url)
        runs = len(snapshot["reconcile_runs"])
        proc = _start(registry_url, root)
        # most of an apply is start-up, validation and the diff; aim at the whole span
        time.sleep(rng.uniform(0.4 * full, 1.1 * full))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
        _wait_for_dead_backends(registry_url)
        if _fully_applied(registry_url, target, runs):
            outcomes["after"] += 1
            current = target
        else:
            assert dump(registry_url) == snapshot, "registry left between before and after"
            outcomes["before"] += 1
    print(f"crash outcomes ({registry_url.split(':')[0]}): {outcomes}, full apply {full:.2f}s")
    # kills after the commit are 'after'; the state checks above are the real assertion
    assert sum(outcomes.values()) == ITERATIONS
