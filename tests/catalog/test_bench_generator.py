"""The validate benchmark's generator makes valid catalogs (so the benchmark cannot rot)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from bench_helpers import load_benchmark

from reconciler.catalog.validate import validate_catalog


def _bench() -> ModuleType:
    return load_benchmark("bench_validate")


@pytest.mark.parametrize("layout", ["per-file", "multi-doc"])
def test_generated_catalog_validates_clean(tmp_path: Path, layout: str) -> None:
    bench = _bench()
    root = bench.generate_catalog(tmp_path / "catalog", 37, layout)
    catalog = validate_catalog(root)
    assert catalog.diagnostics == []
    assert len(catalog.models) == 37
    assert {m.spec.deployment for m in catalog.models} == {"platform", "custom"}
    assert bench.floor(root) == 37 + 3 + 1  # models, credentials, settings


def test_benchmark_runs_in_ci_budget(capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench().main(["--sizes", "20", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| 20 |")]
    assert [r.split("|")[2].strip() for r in rows] == ["per-file", "multi-doc"]
    assert "worst ratio:" in out
