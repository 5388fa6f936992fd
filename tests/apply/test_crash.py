"""SIGKILL an apply of a few thousand changes at chosen moments: the registry is always either
exactly as before or fully applied, never in between.

The apply runs with ``-v``, so it logs "holding the registry lock" once its write transaction
holds the lock; a reader thread timestamps that line and "Apply complete" (printed after the
commit). Most kills are aimed at the open transaction: a random delay after the lock line,
within the shortest span an update apply was seen holding the lock (the first kill waits for
the commit to measure it). The rest are aimed before the lock (while the catalog is loaded and
the preview diffed) or just after the commit (while the process exits). Every kill is then
classified by what happened, not by what was aimed at, and the test fails unless at least one
kill per backend provably landed inside the transaction: the lock line was printed, the
process died of the SIGKILL, and the registry was left exactly as before.

RECONCILER_CRASH_ITERATIONS (default 5) sets the number of kills per backend,
RECONCILER_CRASH_MODELS (default 2000) the size of the catalog, RECONCILER_CRASH_SEED a fixed
seed for the kill moments; ``-s`` shows where the kills landed. A longer soak (minutes)::

    RECONCILER_CRASH_ITERATIONS=100 RECONCILER_CRASH_MODELS=5000 \
        .venv/bin/pytest -q -s tests/apply/test_crash.py
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

import pytest
from engine_helpers import dump, model_doc, rows, scalar, verbose_apply_process, write_catalog

from reconciler.db.engine import make_engine

ITERATIONS = int(os.environ.get("RECONCILER_CRASH_ITERATIONS", "5"))
MODELS = int(os.environ.get("RECONCILER_CRASH_MODELS", "2000"))
LOCKED_LINE = "holding the registry lock"  # logged by apply_stamped once the lock is held
DONE_LINE = "Apply complete"  # printed once apply_stamped has committed and returned
# Aimed kills: the share of kills aimed before the lock and after the commit (each), and how
# far into the last measured locked span the kills aimed at the transaction may go.
EDGE_SHARE = 0.15
LOCKED_REACH = 0.8


def _catalog(root: Path, context_window: int) -> Path:
    return write_catalog(
        root, [model_doc(f"crash-{i:05d}", context_window=context_window) for i in range(MODELS)]
    )


class _Run:
    """One apply child; its merged stdout and stderr are read on a thread (a full pipe would
    stall the child), and the two marker lines are timestamped as they arrive."""

    def __init__(self, url: str, root: Path) -> None:
        self.started = time.monotonic()
        self.proc = verbose_apply_process(
            url, root, 20, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.lines: list[str] = []
        self.locked = threading.Event()
        self.done = threading.Event()
        self.locked_at = self.done_at = 0.0
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        with stream:
            for raw in stream:
                now, line = time.monotonic(), raw.decode("utf-8", "replace")
                self.lines.append(line)
                if LOCKED_LINE in line and not self.locked.is_set():
                    self.locked_at = now
                    self.locked.set()
                elif line.startswith(DONE_LINE):
                    self.done_at = now
                    self.done.set()

    def wait_for(self, event: threading.Event, timeout: float = 120) -> bool:
        """Wait until ``event`` is set; False when the child exits without setting it."""
        deadline = time.monotonic() + timeout
        while not event.wait(0.005):
            if self.proc.poll() is not None:
                self.finish()
                return event.is_set()
            if time.monotonic() > deadline:
                pytest.fail(f"apply stalled:\n{self.text()[-3000:]}")
        return True

    def finish(self) -> int:
        code = self.proc.wait(timeout=30)
        self._reader.join(timeout=30)
        assert not self._reader.is_alive(), "the apply's output pipe stayed open"
        return code

    def text(self) -> str:
        return "".join(self.lines)


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


def _aims(rng: random.Random) -> list[tuple[str, float]]:
    """(phase aimed at, fraction of that phase) for every kill. The first kill waits for the
    commit, so the locked span of an update apply is measured before any kill aims at it; the
    kills aimed at the transaction are spread over strata of its span."""
    edge = max(1, round(ITERATIONS * EDGE_SHARE)) if ITERATIONS >= 3 else 0
    locked = ITERATIONS - 2 * edge
    aims = [("before lock", rng.uniform(0.1, 0.9)) for _ in range(edge)]
    aims += [("after commit", 0.0) for _ in range(edge - 1)]
    aims += [("in transaction", rng.uniform(i, i + 1) / locked) for i in range(locked)]
    rng.shuffle(aims)
    return [("after commit", 0.0)] * min(edge, 1) + aims


@pytest.mark.slow  # about 6-15 s per backend with the defaults
def test_killed_apply_is_all_or_nothing(registry_url: str, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("RECONCILER_CRASH_SEED", "0")) or None)
    root = tmp_path / "cat"
    # calibration: the first apply (all creates) runs to completion and is timed
    _catalog(root, 1000)
    first = _Run(registry_url, root)
    assert first.finish() == 0, first.text()[-3000:]
    assert first.locked.is_set(), first.text()[-3000:]
    assert first.done.is_set(), first.text()[-3000:]
    assert _fully_applied(registry_url, 1000, 0)
    to_lock = first.locked_at - first.started
    spans: list[float] = []  # how long update applies held the lock, commit included

    current, landed = 1000, Counter[str]()
    for aim, fraction in _aims(rng):
        target = 2000 if current == 1000 else 1000
        _catalog(root, target)  # every model changes: MODELS updates in one transaction
        snapshot: dict[str, list[tuple[Any, ...]]] = dump(registry_url)
        runs = len(snapshot["reconcile_runs"])
        run = _Run(registry_url, root)
        if aim == "before lock":
            time.sleep(max(0.0, run.started + fraction * to_lock - time.monotonic()))
        elif aim == "in transaction":
            assert run.wait_for(run.locked), run.text()[-3000:]
            held = min(spans) if spans else first.done_at - first.locked_at
            delay = fraction * LOCKED_REACH * held
            time.sleep(max(0.0, run.locked_at + delay - time.monotonic()))
        else:
            assert run.wait_for(run.done), run.text()[-3000:]
        done_before_kill = run.done.is_set()
        run.proc.send_signal(signal.SIGKILL)  # a no-op when the child has already exited
        code = run.finish()
        output = run.text()
        assert not any(line.startswith(("error:", "Traceback")) for line in run.lines), output
        _wait_for_dead_backends(registry_url)

        if _fully_applied(registry_url, target, runs):
            after = True
            current = target
        else:
            assert dump(registry_url) == snapshot, f"registry left between before and after ({aim})"
            after = False
        if code != -signal.SIGKILL:
            assert code == 0, output[-3000:]
            phase = "exited before the kill"
        elif LOCKED_LINE not in output:
            phase = "before lock"  # nothing is written before the line is printed
        elif done_before_kill or after:
            phase = "after commit"
        else:
            # the lock was held (the line is printed after taking it), the child died of the
            # SIGKILL, and nothing of the transaction survived: it was killed inside it
            phase = "in transaction"
        assert after == (phase not in {"before lock", "in transaction"}), (phase, aim, output)
        landed[phase] += 1
        if run.locked.is_set() and run.done.is_set():  # an update apply seen to its commit
            spans.append(run.done_at - run.locked_at)
            to_lock = min(to_lock, run.locked_at - run.started)

    backend = registry_url.split(":")[0]
    print(
        f"crash kills ({backend}): {dict(landed)}; the lock was taken {to_lock:.2f}s after "
        f"start at the earliest and held by update applies for "
        f"{', '.join(f'{s:.2f}s' for s in spans) or 'never seen'}"
    )
    assert sum(landed.values()) == ITERATIONS
    assert landed["in transaction"] >= 1, f"no kill landed inside the transaction: {landed}"
