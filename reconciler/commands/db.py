from __future__ import annotations

import sys
from typing import TextIO

from reconciler.db.engine import make_engine, safe_url
from reconciler.db.migrate import upgrade as migrate_upgrade


def upgrade(db_url: str, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    engine = make_engine(db_url)
    try:
        before, after = migrate_upgrade(engine)
    finally:
        engine.dispose()
    where = safe_url(db_url)
    if before == after:
        out.write(f"{where} is up to date (schema revision {after})\n")
    else:
        out.write(f"{where} migrated from {before or 'empty'} to schema revision {after}\n")
    return 0
