"""actionlint and zizmor as the tests run them: the binaries the [test] extra installs, offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name  # the venv's scripts: PATH may not have them
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -c constraints.txt -e '.[test]'"
    return found


def actionlint(*paths: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """actionlint over these workflow files (none: the repository's, found from cwd)."""
    return subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, paths)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def zizmor(*paths: Path) -> list[dict[str, Any]]:
    """zizmor's findings of medium severity or more, offline (no GitHub API calls, no token)."""
    done = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", "--min-severity", "medium", *paths],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")},
    )
    assert done.returncode in (0, 10, 11, 12, 13, 14), done.stderr  # 1x: findings
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    return findings


def summary(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(audit, file) per finding: what an assertion shows."""
    return [(f["ident"], json.dumps(f["locations"][0]["symbolic"]["key"])) for f in findings]
