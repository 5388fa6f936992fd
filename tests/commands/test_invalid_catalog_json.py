"""``--format json`` on a catalog that fails validation: drift and compare give the diagnostics
as JSON on stdout, like plan, with the same exit code and the human message on stderr."""

from __future__ import annotations

import json
from pathlib import Path

from engine_helpers import cli

from reconciler.render.compare import FORMAT_VERSION as COMPARE_VERSION
from reconciler.render.plan_json import FORMAT_VERSION as PLAN_VERSION


def _bad_catalog(tmp_path: Path) -> Path:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "m.yaml").write_text("kind: Model\ndisplay_name: X\n")
    return root


def _assert_diagnostics(stdout: str, version: str) -> None:
    document = json.loads(stdout)
    assert document["format_version"] == version
    first = document["diagnostics"][0]
    assert (Path(first["path"]).name, first["line"], first["column"]) == ("m.yaml", 1, 1)
    assert {d["code"] for d in document["diagnostics"]} == {"missing-field"}


def test_drift_json_of_an_invalid_catalog_gives_its_diagnostics(tmp_path: Path) -> None:
    root = _bad_catalog(tmp_path)
    db = f"sqlite:///{tmp_path / 'r.db'}"
    args = ["drift", "--catalog", str(root), "--db", db]
    text = cli(args)
    result = cli([*args, "--format", "json"])
    assert result.exit_code == text.exit_code != 0
    _assert_diagnostics(result.stdout, PLAN_VERSION)
    assert "validation error" in result.stderr


def test_compare_json_of_an_invalid_catalog_gives_its_diagnostics(tmp_path: Path) -> None:
    root = _bad_catalog(tmp_path)
    args = ["compare", "base", "base", "--catalog", str(root)]
    text = cli(args)
    result = cli([*args, "--format", "json"])
    assert result.exit_code == text.exit_code != 0
    _assert_diagnostics(result.stdout, COMPARE_VERSION)
    assert "validation error" in result.stderr
