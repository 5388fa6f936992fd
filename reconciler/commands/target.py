"""What a plan is for (``Plan.target``), as plan and apply's preview name it."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler import __version__
from reconciler.apply.audit import COMMIT_ENV, git_commit
from reconciler.db.engine import describe_database
from reconciler.errors import ReconcilerError
from reconciler.plan.guards import BREAKING_FLAG, MASS_REMOVAL_FLAG
from reconciler.plan.model import Database, Target

_SHA = re.compile(r"[0-9a-fA-F]{7,64}")


def plan_target(catalog_dir: str, db_url: str, commit: str | None) -> Target:
    """What the plan is for: the registry database (never its credentials), the catalog
    commit and this reconciler's version. The commit is ``commit`` (--commit or
    RECONCILER_COMMIT) when given, else the CI's commit variable (GITHUB_SHA, ...), else the
    catalog directory's git HEAD (marked when the checkout has uncommitted changes), else
    unknown: git is not required."""
    if commit is not None:
        if not _SHA.fullmatch(commit):
            raise ReconcilerError(
                f"--commit (or {COMMIT_ENV}) is not a commit id: {commit[:80]!r}",
                hint="pass the full or abbreviated hexadecimal SHA, e.g. "
                '--commit "$(git rev-parse HEAD)"',
            )
        sha: str | None = commit.lower()
        dirty = False
    else:
        # git_commit marks a checkout with uncommitted changes "<sha>-dirty"
        found = git_commit(Path(catalog_dir))
        dirty = found is not None and found.endswith("-dirty")
        sha = found.removesuffix("-dirty") if found is not None else None
    where = describe_database(db_url)
    return Target(
        database=None if where is None else Database(*where),
        commit=sha,
        uncommitted=dirty,
        version=__version__,
    )


def allowed_flags(allow_breaking: bool, allow_mass_removal: bool) -> frozenset[str]:
    """The guard flags given (plan and apply take the same ones)."""
    flags = set()
    if allow_breaking:
        flags.add(BREAKING_FLAG)
    if allow_mass_removal:
        flags.add(MASS_REMOVAL_FLAG)
    return frozenset(flags)
