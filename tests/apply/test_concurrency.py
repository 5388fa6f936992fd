"""Concurrent applies against one registry, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from engine_helpers import apply_process, cli, dump, model_doc, rows, scalar, write_catalog

from reconciler.apply.lock import locked_transaction
from reconciler.db.engine import make_engine
from reconciler.diff.diff import DiffOptions
from reconciler.errors import LockTimeoutError
from reconciler.pipeline import make_plan

LOCK_MESSAGE = "another apply holds the registry lock"
STALE_MESSAGE = "plan is stale"
RACERS = 3


def _racer(url: str, root: Path) -> subprocess.Popen[str]:
    return apply_process(url, root, 60, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_preview(proc: subprocess.Popen[str]) -> str:
    """Read the racer's output until its plan preview is complete: it then goes for the lock."""
    assert proc.stdout is not None
    seen = ""
    while line := proc.stdout.readline():
        seen += line
        if line.startswith("Plan:"):
            break
    return seen


def test_parallel_applies_serialize(registry_url: str, tmp_path: Path) -> None:
    """Racers all preview the same registry, then contend for the lock at once."""
    root = write_catalog(tmp_path / "cat", [model_doc(f"m{i:04d}") for i in range(100)])
    engine = make_engine(registry_url)
    try:
        with locked_transaction(engine, 60.0):
            procs = [_racer(registry_url, root) for _ in range(RACERS)]
            previews = [_wait_for_preview(p) for p in procs]
            time.sleep(0.2)  # let them reach the lock
    finally:
        engine.dispose()
    assert all("101 to create" in p for p in previews), previews
    results = []
    for proc, preview in zip(procs, previews, strict=True):
        out, err = proc.communicate(timeout=120)
        results.append((proc.returncode, preview + out, err))
    applied = [r for r in results if r[0] == 0 and "Apply complete: 101 created" in r[1]]
    assert len(applied) == 1, results  # the first to get the lock writes everything
    for code, out, err in results:
        assert "Traceback" not in err
        if code == 0:
            # the others find, under the lock, that nothing is left to do: a no-op, not an error
            assert out in [a[1] for a in applied] or "no changes" in out, out
        else:  # on a very slow machine a racer may time out on the lock
            assert LOCK_MESSAGE in err, err
    runs = rows(registry_url, "SELECT counts FROM reconcile_runs")
    assert len(runs) == sum(1 for r in results if r[0] == 0)  # every apply is audited
    assert scalar(registry_url, "SELECT count(*) FROM models WHERE managed = :t", t=True) == 100
    planned = make_plan(str(root), registry_url, options=DiffOptions())
    assert planned.plan.changes == []
    assert planned.plan.errors == []


def test_parallel_applies_of_converged_catalog(registry_url: str, tmp_path: Path) -> None:
    """Unsynchronised racers: each either applies (one audit row each) or finds nothing to do."""
    root = write_catalog(tmp_path / "cat", [model_doc(f"m{i:04d}") for i in range(100)])
    procs = [_racer(registry_url, root) for _ in range(RACERS)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    applied = 0
    for code, out, err in results:
        assert code in (0, 1), err
        assert "Traceback" not in err
        if code == 1:
            assert STALE_MESSAGE in err or LOCK_MESSAGE in err, err
        elif "Apply complete" in out:
            applied += 1
        else:
            assert "No changes" in out
    assert applied >= 1
    assert len(rows(registry_url, "SELECT id FROM reconcile_runs")) == applied
    assert make_plan(str(root), registry_url, options=DiffOptions()).plan.changes == []


def test_lock_timeout_while_lock_is_held(registry_url: str, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")])
    before = dump(registry_url)
    engine = make_engine(registry_url)
    try:
        with locked_transaction(engine, 5.0):
            started = time.monotonic()
            result = cli(
                [
                    "apply",
                    "--catalog",
                    str(root),
                    "--db",
                    registry_url,
                    "--auto-approve",
                    "--lock-timeout",
                    "0.5",
                ]
            )
            waited = time.monotonic() - started
    finally:
        engine.dispose()
    assert result.exit_code == 1, result.output
    assert LOCK_MESSAGE in result.output
    assert "0.5s" in result.output
    assert "--lock-timeout" in result.output
    assert 0.4 <= waited < 10
    assert dump(registry_url) == before
    # with the lock free again the same apply goes through
    done = cli(["apply", "--catalog", str(root), "--db", registry_url, "--auto-approve"])
    assert done.exit_code == 0, done.output
    assert scalar(registry_url, "SELECT count(*) FROM reconcile_runs") == 1


@pytest.mark.parametrize("timeout", [0, 0.0004])
def test_zero_lock_timeout_does_not_wait(registry_url: str, tmp_path: Path, timeout: float) -> None:
    """0 means "do not wait". PostgreSQL's lock_timeout = 0 (or '0ms') means "wait forever",
    so a held lock must not hang the apply: it runs in a child with a deadline."""
    root = write_catalog(tmp_path / "cat", [model_doc("a")])
    before = dump(registry_url)
    engine = make_engine(registry_url)
    try:
        with locked_transaction(engine, 5.0):
            started = time.monotonic()
            proc = apply_process(
                registry_url, root, timeout, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            try:
                _out, err = proc.communicate(timeout=60)
            finally:
                proc.kill()
            waited = time.monotonic() - started
    finally:
        engine.dispose()
    assert proc.returncode == 1, err
    assert LOCK_MESSAGE in err.decode()
    assert "Traceback" not in err.decode()
    assert waited < 30
    assert dump(registry_url) == before
    # and with the lock free, --lock-timeout 0 takes it at once
    done = cli(
        [
            "apply",
            *("--catalog", str(root), "--db", registry_url),
            *("--auto-approve", "--lock-timeout", "0"),
        ]
    )
    assert done.exit_code == 0, done.output


def test_locked_transaction_with_zero_timeout_fails_at_once(registry_url: str) -> None:
    engine = make_engine(registry_url)
    other = make_engine(registry_url, busy_timeout=0)
    try:
        with locked_transaction(engine, 5.0):
            started = time.monotonic()
            with pytest.raises(LockTimeoutError) as info, locked_transaction(other, 0):
                pass
            assert time.monotonic() - started < 5
        assert "did not wait (--lock-timeout 0)" in info.value.message
        with locked_transaction(other, 0) as conn:  # free again
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        other.dispose()
        engine.dispose()


def test_zero_lock_timeout_still_lets_the_commit_wait_for_readers(tmp_path: Path) -> None:
    # SQLite only: in rollback-journal mode a commit waits for open readers (the application,
    # plan, drift); --lock-timeout 0 is about other applies and must not turn that into a failure
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    assert cli(["db", "upgrade", "--db", url]).exit_code == 0
    reader = sqlite3.connect(
        tmp_path / "registry.db", isolation_level=None, check_same_thread=False
    )
    writer = make_engine(url, busy_timeout=0)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM models").fetchall()  # holds a SHARED lock
        releaser = threading.Timer(0.5, reader.execute, ("COMMIT",))
        releaser.start()
        try:
            with locked_transaction(writer, 0) as conn:
                conn.execute(sa.text("UPDATE registry_meta SET revision = revision + 1"))
        finally:
            releaser.join()
        assert rows(url, "SELECT revision FROM registry_meta") == [(1,)]
    finally:
        writer.dispose()
        reader.close()
