from __future__ import annotations

import sys
from typing import TextIO

from reconciler.db.engine import safe_url
from reconciler.db.migrate import upgrade_url
from reconciler.render.db import upgraded


def upgrade(db_url: str, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    before, after = upgrade_url(db_url)
    out.write(upgraded(safe_url(db_url), before, after))
    return 0
