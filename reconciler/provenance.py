"""Who and what a plan or an audit row names: the CI's user and commit when there is one, else
the local user and git HEAD.

``catalog_commit`` is the one source of the catalog commit: plan's target, apply's preview and
apply's audit row all take it from there, with the same checks (a value that is not a commit id
is refused, never recorded)."""

from __future__ import annotations

import getpass
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.words import one_line

_ACTOR_VARS = ("RECONCILER_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR")
# RECONCILER_COMMIT (plan --commit) first: in a pull request GITHUB_SHA is the merge commit,
# and the action passes the head commit the reviewer knows
COMMIT_ENV = "RECONCILER_COMMIT"
COMMIT_OPTION = f"--commit (or {COMMIT_ENV})"
_CI_COMMIT_VARS = ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT", "GIT_COMMIT")
_COMMIT_VARS = (COMMIT_ENV, *_CI_COMMIT_VARS)
# 7 (git's shortest abbreviation) to 64 (a SHA-256 repository's full id) hex digits; what
# 'git describe --dirty' prints for a checkout with uncommitted changes is taken too
_COMMIT = re.compile(r"([0-9a-fA-F]{7,64})(-dirty)?")
_DIRTY = "-dirty"
AUDIT_COLUMN = 64  # reconcile_runs.git_commit is String(64)


@dataclass(frozen=True)
class Commit:
    """A catalog commit id (lower-case hex) and whether the catalog had uncommitted changes."""

    sha: str
    uncommitted: bool = False

    def audit_text(self) -> str:
        """What the audit row's git_commit holds: the id, ``-dirty`` when uncommitted (a full
        SHA-256 id is shortened to keep the mark within the column; still unambiguous)."""
        if not self.uncommitted:
            return self.sha
        return self.sha[: AUDIT_COLUMN - len(_DIRTY)] + _DIRTY


def parse_commit(text: str) -> Commit | None:
    """``text`` as a commit (``<hex>`` or ``<hex>-dirty``), None when it is not one."""
    found = _COMMIT.fullmatch(text)
    if found is None:
        return None
    return Commit(found.group(1).lower(), uncommitted=found.group(2) is not None)


def _refused(source: str, value: str) -> ReconcilerError:
    # repr escapes control characters: the value is shown, never acted on by the terminal
    hint = (
        "a commit id is 7 to 64 hexadecimal digits, optionally followed by -dirty, e.g. "
        '"$(git rev-parse HEAD)"'
    )
    if source in _CI_COMMIT_VARS:
        hint += f"; or set {COMMIT_ENV} to the commit to name (it is read before {source})"
    elif source == COMMIT_ENV:
        hint += f"; or unset {COMMIT_ENV} to name the CI's commit or the catalog's git HEAD"
    return ReconcilerError(f"{source} is not a commit id: {value[:80]!r}", hint=hint)


def catalog_commit(catalog_root: Path, given: str | None = None) -> Commit | None:
    """The catalog commit a plan or an apply names: ``given`` (plan --commit, which click also
    fills from RECONCILER_COMMIT) when not None, else RECONCILER_COMMIT, else the CI's commit
    variable (GITHUB_SHA, CI_COMMIT_SHA, BUILDKITE_COMMIT, GIT_COMMIT), else the catalog
    directory's git HEAD (marked uncommitted when the checkout has changes), else None: git is
    not required. An empty variable is unset. A value that is not a commit id is refused
    (ReconcilerError, exit 1) naming where it came from; it is never recorded."""
    if given is not None:
        return _checked(COMMIT_OPTION, given)
    for var in _COMMIT_VARS:
        if value := os.environ.get(var):
            return _checked(var, value)
    found = _git_describe(catalog_root)
    return None if found is None else parse_commit(found)


def _checked(source: str, value: str) -> Commit:
    commit = parse_commit(value)
    if commit is None:
        raise _refused(source, value)
    return commit


def actor() -> str:
    """Who applies, for the audit row (255 characters at most): the CI's user, else the local
    one. One line with control characters escaped: a variable is anyone's text."""
    for var in _ACTOR_VARS:
        if value := os.environ.get(var):
            return one_line(value)[:255]
    try:
        return one_line(getpass.getuser())[:255]
    except (OSError, KeyError):
        return "unknown"


def _git_describe(catalog_root: Path) -> str | None:
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
    return done.stdout.strip() or None if done.returncode == 0 else None
