"""A clean, committed copy of this repository's working tree, for tools that install it.

pip builds from the folder, and pre-commit's ``try-repo`` clones a git repository: with
uncommitted changes it makes a throwaway shadow repository per run (so nothing is cached
between two runs) that leaves untracked files out. A snapshot committed in a temporary folder
behaves the same in a developer's tree as in CI's fresh clone.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# not needed to build or install the package (and tests/corpus is large)
LEFT_OUT = ("tests/", "benchmarks/")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def snapshot(dest: Path) -> Path:
    """Copy the tracked and untracked (not ignored) files into ``dest`` and commit them."""
    listed = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in sorted(set(listed.split("\0"))):
        source = REPO / name
        if not name or name.startswith(LEFT_OUT) or not source.is_file():
            continue  # a file deleted in the working tree is still listed as cached
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    git_init(dest)
    return dest


def git_init(folder: Path) -> None:
    """Make ``folder`` a git repository with everything in it committed."""
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    _git(
        folder,
        "-c",
        "user.name=test",
        "-c",
        "user.email=test@example.invalid",
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "-m",
        "snapshot",
    )
