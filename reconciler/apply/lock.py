"""Serialize applies: a PostgreSQL advisory lock, or SQLite's write lock (BEGIN IMMEDIATE).

Both are taken at the start of the apply transaction and released when it ends, so a loser
waits up to the timeout and then fails without having written anything.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from reconciler.db.engine import IMMEDIATE, driver_reason
from reconciler.errors import DatabaseError, LockTimeoutError

# pg_advisory_xact_lock key: a fixed 64-bit number for "llm-registry-reconciler".
ADVISORY_KEY = 0x6C6C6D7265670001
# Once SQLite's write lock is held, how long the commit may wait for readers (the application,
# plan, drift) to finish: --lock-timeout is about other applies, not about them.
SQLITE_COMMIT_WAIT_MS = 30_000


def _timeout_error(seconds: float) -> LockTimeoutError:
    waited = "did not wait (--lock-timeout 0)" if seconds <= 0 else f"gave up after {seconds:g}s"
    return LockTimeoutError(
        f"another apply holds the registry lock; {waited}",
        hint="wait for it to finish, or raise --lock-timeout",
    )


def _sqlite_busy(err: BaseException | None) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (or an extended code of either), read from the error's
    code, not its text."""
    code = getattr(err, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@contextlib.contextmanager
def locked_transaction(engine: Engine, timeout: float) -> Iterator[sa.Connection]:
    """A write transaction holding the apply lock; commits on success, rolls back on error."""
    if engine.dialect.name == "sqlite":
        conn = engine.connect().execution_options(**{IMMEDIATE: True})
        try:  # the wait is the engine's busy timeout (make_engine(busy_timeout=...))
            try:
                transaction = conn.begin()
            except sa.exc.OperationalError as err:
                if _sqlite_busy(err.orig):
                    raise _timeout_error(timeout) from None
                raise
            # the busy timeout was the wait for the lock; the commit waits for readers instead
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_COMMIT_WAIT_MS}")
            with transaction:
                yield conn
        finally:
            conn.close()
        return
    with engine.connect() as conn, conn.begin():
        if timeout <= 0:  # lock_timeout = 0 would mean "wait forever": try once instead
            taken = conn.execute(sa.select(sa.func.pg_try_advisory_xact_lock(ADVISORY_KEY)))
            if not taken.scalar():
                raise _timeout_error(timeout)
            yield conn
            return
        # at least 1 ms: a timeout that rounds to 0 ms would, again, wait forever
        conn.execute(sa.text(f"SET LOCAL lock_timeout = '{max(1, round(timeout * 1000))}ms'"))
        try:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_KEY)))
        except sa.exc.OperationalError as err:
            if getattr(err.orig, "sqlstate", None) == "55P03":
                raise _timeout_error(timeout) from None
            raise DatabaseError(
                f"cannot take the registry lock: {driver_reason(err, engine)}"
            ) from None
        conn.execute(sa.text("SET LOCAL lock_timeout = 0"))
        yield conn
