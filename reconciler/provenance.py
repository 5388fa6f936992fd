"""Who and what a plan or an audit row names: the CI's user and commit when there is one, else
the local user and git HEAD."""

from __future__ import annotations

import getpass
import os
import subprocess
from pathlib import Path

_ACTOR_VARS = ("RECONCILER_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR")
# RECONCILER_COMMIT (plan --commit) first: in a pull request GITHUB_SHA is the merge commit,
# and the action passes the head commit the reviewer knows
COMMIT_ENV = "RECONCILER_COMMIT"
_COMMIT_VARS = (COMMIT_ENV, "GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT", "GIT_COMMIT")


def actor() -> str:
    for var in _ACTOR_VARS:
        if value := os.environ.get(var):
            return value[:255]
    try:
        return getpass.getuser()[:255]
    except (OSError, KeyError):
        return "unknown"


def git_commit(catalog_root: Path) -> str | None:
    for var in _COMMIT_VARS:
        if value := os.environ.get(var):
            return value[:64]
    try:
        # "<sha>-dirty" when the checkout has uncommitted changes: the audit must not claim a
        # commit whose catalog is not what was applied.
        # --exclude=*: never a tag name, always the commit id
        command = ["git", "-C", str(catalog_root), "describe", "--always", "--dirty"]
        done = subprocess.run(
            [*command, "--abbrev=40", "--exclude=*"],
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip()[:64] or None if done.returncode == 0 else None
