"""`reconciler validate` stays light: it never imports litellm or boto3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = """
import sys
from click.testing import CliRunner
from reconciler.cli import main

result = CliRunner().invoke(main, ["validate", "--catalog", sys.argv[1]])
assert result.exit_code == 0, result.output
assert "is valid" in result.output, result.output
heavy = sorted(
    name for name in sys.modules
    if name.split(".")[0]
    in ("litellm", "boto3", "botocore", "sqlalchemy", "alembic", "jsonschema")
)
print("HEAVY=" + ",".join(heavy))
"""


def test_validate_does_not_import_heavy_modules() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO / "catalog")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    heavy = proc.stdout.strip().rsplit("HEAVY=", 1)[-1]
    modules = [m for m in heavy.split(",") if m]
    assert not [m for m in modules if m.split(".")[0] in ("litellm", "boto3")], modules
    # a valid catalog passes the compiled pre-check; jsonschema only explains rejections
    assert not [m for m in modules if m.split(".")[0] == "jsonschema"], modules
    # the probe really ran (an empty stdout would make the check above vacuous)
    assert "HEAVY=" in proc.stdout
