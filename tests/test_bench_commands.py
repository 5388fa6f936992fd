"""The whole-process benchmark runs end to end and judges targets right (so it cannot rot)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from bench_helpers import load_benchmark


def _bench() -> ModuleType:
    return load_benchmark("bench_commands")


@pytest.mark.parametrize(
    ("wall", "cpu", "rss", "expected"),
    [
        ((2.0, 1.0), (2.0, 1.0), 10, "met"),
        ((3.0, 1.0), (2.0, 1.0), 10, "**not met** (met on CPU)"),
        ((3.0, 1.0), (3.0, 1.0), 10, "**not met**"),
        ((2.0, 1.0), (2.0, 1.0), 2 * 1024**3, "**not met**"),
    ],
)
def test_report_judges_ratio_and_memory(
    wall: tuple[float, float], cpu: tuple[float, float], rss: int, expected: str
) -> None:
    bench = _bench()
    results = {
        "cmd": bench.Runs([wall[0]], [cpu[0]], [rss]),
        "floor": bench.Runs([wall[1]], [cpu[1]], [1]),
    }
    target = bench.Target("figure", "cmd", "floor", 2.0, bench.GIB)
    table, all_met = bench.report(results, [target])
    row = table.splitlines()[-1]
    assert row.endswith(f"| {expected} |"), row
    assert all_met is (expected == "met")


def test_insert_floor_writes_every_model_row(tmp_path: Path) -> None:
    bench = _bench()
    catalog = bench.engine_catalog(tmp_path / "cat", 7)
    db = tmp_path / "reg.db"
    subprocess.run(
        [sys.executable, "-m", "reconciler", "db", "upgrade", "--db", f"sqlite:///{db}"],
        check=True,
        capture_output=True,
    )
    fields = '[["display_name", "display_name"], ["enabled", "enabled"], '
    fields += '["capabilities.reasoning", "reasoning_parameter"], ["context_window", '
    fields += '"context_window"], ["deployment", "deployment"], ["provider", "provider"], '
    fields += '["model_id", "model_id"]]'
    argv = [sys.executable, "-c", bench.FLOOR, "parse+insert", str(catalog), str(db), fields]
    subprocess.run(argv, check=True)
    with sqlite3.connect(db) as conn:
        got = conn.execute("SELECT slug, enabled, reasoning_parameter FROM models").fetchall()
    assert sorted(got) == [(f"bench-{i:06d}", 1, None) for i in range(7)]


def test_benchmark_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    args = ["--sizes", "20", "--big", "0", "--repeat", "1", "--small-repeat", "1"]
    assert bench.main(args) == 0
    out = capsys.readouterr().out
    figures = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("| `")]
    assert figures == [
        "`validate`, 20 models, one per file",
        "`plan`, 20 models, 1% changed",
        "`apply`, 20 creates",
        "`plan`, example catalog, no changes",
        "`lint`, example catalog",
        "`validate`, example catalog",
        "`test-connection` start-up (to its first call)",
        "`--help`",
    ]


def test_the_readme_quotes_the_measured_table() -> None:
    # the README's performance summary repeats figures of docs/benchmarks.md's whole-command
    # table: a rerun that updates one and not the other fails here
    import re

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text("utf-8")
    section = readme[readme.index("## Performance") :]
    section = section[: section.index("\n## ", 1)]
    docs = (root / "docs" / "benchmarks.md").read_text("utf-8")
    table = docs[docs.index("| figure | command:") :]
    table = table[: table.index("\n\n")]
    quoted = re.findall(r"\| (\d+\.\d+x|\d+ MiB(?: / \d+\.\d+x)?) \|", section)
    assert len(quoted) >= 7, section
    for figure in quoted:
        for part in figure.split(" / "):
            assert re.search(rf"\| {re.escape(part)}\b", table) or f" {part} " in table, part
