"""Benchmark plan and apply against their floors.

    .venv/bin/python benchmarks/bench_engine.py --sizes 1000,10000 --backend both

For each backend and size N:

* a registry holding N managed models, and a catalog (one file per model, like a real
  checkout) with 1% of them changed;
* plan: ``make_plan`` (load + validate the catalog, read the registry, diff) against the floor:
  parsing the same files with yaml.CSafeLoader plus one ``SELECT * FROM models``;
* the number of SQL statements one plan issues (before_cursor_execute);
* apply of N creates into a fresh registry against a raw executemany INSERT of the same rows
  into the same table of another fresh registry. Two apply figures: the engine alone
  (``apply_stamped``: lock, re-read, diff, bulk writes, audit row, commit) and the whole
  command (catalog loading and validation included).

PostgreSQL: RECONCILER_BENCH_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres)
is the admin URL used to create and drop scratch databases.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from reconciler.apply.apply import ApplyOptions, Expected, apply_stamped, stamp_for_apply
from reconciler.catalog.load import catalog_files
from reconciler.commands.apply import apply as apply_command
from reconciler.db import tables as t
from reconciler.db.engine import make_engine
from reconciler.db.migrate import upgrade
from reconciler.diff.diff import DiffOptions, diff
from reconciler.pipeline import make_plan
from reconciler.plan.guards import MASS_REMOVAL_FLAG
from reconciler.plan.planfile import plan_signature
from reconciler.state.desired import load_desired
from reconciler.state.read import read_live_state
from reconciler.state.records import MODEL_FIELDS

PG_ADMIN = os.environ.get(
    "RECONCILER_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


# --- registries ------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_registry(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / f'reg-{uuid.uuid4().hex[:8]}.db'}"
        _migrate(url)
        yield url
        return
    name = f"reconciler_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


# --- catalogs --------------------------------------------------------------------------------


def model_doc(i: int, changed: bool = False) -> dict[str, Any]:
    return {
        "kind": "Model",
        "display_name": f"Bench Model {i:06d}",
        "slug": f"bench-{i:06d}",
        "deployment": "custom",
        "provider": "openai",
        "model_id": f"bench/model-{i:06d}",
        "category": "standard",
        "description": f"Benchmark model number {i}.",
        "release_date": "2025-01-01",
        "context_window": 128000 + (1 if changed else 0),
        "max_output_tokens": 16384,
        "capabilities": {
            "json_mode": True,
            "vision": i % 2 == 0,
            "tool_use": True,
            "reasoning": False,
        },
        "cost": {"input_per_token": 2.5e-06, "output_per_token": 1e-05},
    }


def write_catalog(root: Path, n: int, changed_every: int = 0) -> None:
    """n models, one file each; with changed_every k, every k-th model differs."""
    models = root / "models"
    models.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        changed = bool(changed_every) and i % changed_every == 0
        text = yaml.dump(model_doc(i, changed), Dumper=yaml.CSafeDumper, sort_keys=False)
        (models / f"bench-{i:06d}.yaml").write_text(text, encoding="utf-8")
    (root / "settings.yaml").write_text(
        "kind: Settings\ndefault_model: bench-000000\n", encoding="utf-8"
    )


# --- measurements ----------------------------------------------------------------------------


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def plan_floor(root: Path, url: str) -> None:
    for path in catalog_files(root):
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.select(t.models)).fetchall()
    finally:
        engine.dispose()


def count_statements(fn: Callable[[], Any]) -> int:
    seen: list[str] = []

    def on_execute(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        seen.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", on_execute)
    try:
        fn()
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", on_execute)
    return len(seen)


def raw_rows(root: Path) -> list[dict[str, Any]]:
    desired = load_desired(root)
    now = datetime.now(UTC)
    out = []
    for m in desired.models.values():
        row: dict[str, Any] = {
            "slug": m.slug,
            "managed": True,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for path, column in MODEL_FIELDS:
            row[column] = m.values.get(path)
        out.append(row)
    return out


def raw_insert(url: str, rows: list[dict[str, Any]]) -> float:
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.insert(t.models), rows)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def engine_apply(url: str, root: Path) -> float:
    desired = load_desired(root)
    stamped = stamp_for_apply(desired, root)
    options = ApplyOptions(DiffOptions(), frozenset({MASS_REMOVAL_FLAG}))
    # as the command does: the approved preview's revision and signature are re-checked
    preview = diff(stamped.desired, read_live_state(url), options.diff)
    expected = Expected(preview.revision, plan_signature(preview))
    started = time.perf_counter()
    apply_stamped(url, stamped, root, options, expected)
    return time.perf_counter() - started


def command_apply(url: str, root: Path) -> float:
    started = time.perf_counter()
    apply_command(None, str(root), url, True, False, False, True, False, 30.0, out=io.StringIO())
    return time.perf_counter() - started


def bench(backend: str, n: int, repeat: int, workdir: Path) -> dict[str, Any]:
    base = workdir / f"cat-{n}"
    if not base.exists():
        write_catalog(base, n)
    changed = workdir / f"cat-{n}-changed"
    if not changed.exists():
        write_catalog(changed, n, changed_every=100)
    result: dict[str, Any] = {"backend": backend, "n": n}
    with fresh_registry(backend, workdir) as url:
        result["apply_command"] = command_apply(url, base)  # registry of n models
        options = DiffOptions()
        planned = make_plan(str(changed), url, options=options)
        result["plan_changes"] = len(planned.plan.changes)
        result["plan"] = best(lambda: make_plan(str(changed), url, options=options), repeat)
        result["floor"] = best(lambda: plan_floor(changed, url), repeat)
        result["statements"] = count_statements(
            lambda: make_plan(str(changed), url, options=options)
        )
    applies, raws = [], []
    rows = raw_rows(base)
    for _ in range(repeat):
        with fresh_registry(backend, workdir) as url:
            applies.append(engine_apply(url, base))
        with fresh_registry(backend, workdir) as url:
            raws.append(raw_insert(url, rows))
    result["apply_engine"] = min(applies)
    result["raw_insert"] = min(raws)
    return result


def render(results: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | models | plan (1% changed) | floor: CSafeLoader + SELECT | ratio | "
        "SQL statements per plan | apply engine (N creates) | apply command | raw executemany | "
        "engine ratio | command ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['n']:,} | {r['plan']:.2f} s | {r['floor']:.2f} s | "
            f"{r['plan'] / r['floor']:.1f}x | {r['statements']} | {r['apply_engine']:.2f} s | "
            f"{r['apply_command']:.2f} s | {r['raw_insert']:.2f} s | "
            f"{r['apply_engine'] / r['raw_insert']:.1f}x | "
            f"{r['apply_command'] / r['raw_insert']:.1f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated model counts")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
        for backend in backends:
            for n in sizes:
                r = bench(backend, n, args.repeat, Path(tmp))
                print(f"{backend} n={n}: {r}", file=sys.stderr, flush=True)
                results.append(r)
    print(
        f"{datetime.now(UTC):%Y-%m-%d}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}, best of {args.repeat}\n"
    )
    print(render(results))
    counts = {r["statements"] for r in results if r["backend"] == backends[0]}
    if len({(r["backend"], r["statements"]) for r in results}) > len(backends):
        print("\nWARNING: the statement count of a plan grows with the model count", counts)
    print(
        "\nmedian ratios: plan "
        f"{statistics.median(r['plan'] / r['floor'] for r in results):.1f}x, apply engine "
        f"{statistics.median(r['apply_engine'] / r['raw_insert'] for r in results):.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
