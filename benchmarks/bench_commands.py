"""Whole-process benchmark: the commands as a user runs them, against floors from the same run.

    .venv/bin/python benchmarks/bench_commands.py                 # everything (~5-10 minutes)
    .venv/bin/python benchmarks/bench_commands.py --big 0         # without the 100k run
    .venv/bin/python benchmarks/bench_commands.py --sizes 200 --big 0 --repeat 1  # smoke test

Every figure is a new process (interpreter start, imports, catalog loading, the work, exit),
timed from spawn to exit, with its peak resident memory (``/usr/bin/time``'s maximum
resident set size). Each command is
compared with a floor run the same way in the same run:

* parse: a Python process reading every catalog file and parsing it with
  ``yaml.load_all(..., Loader=yaml.CSafeLoader)``, keeping the documents;
* parse + SELECT: the same plus one ``SELECT * FROM models`` on the same SQLite registry;
* parse + executemany: the same parse plus one raw ``executemany`` INSERT of the models' rows
  into a fresh copy of the same (migrated, triggered) registry, in one transaction;
* the lint floor: parse + SELECT plus ``json.load`` of litellm's bundled model data.

Catalogs come from the generators of bench_validate.py (validate: realistic models, one per
file) and bench_engine.py (plan/apply: one file per model, 1% changed for plan). Registries are
SQLite files; the engine breakdown on both backends is bench_engine.py. Results are medians
of ``--repeat`` runs (``--small-repeat`` for the example catalog; one run at 100k) with min
and max; ratios are median over median. ``--json FILE`` also writes the raw figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402
from bench_engine import model_doc  # noqa: E402
from bench_validate import generate_catalog  # noqa: E402

from reconciler.state.records import MODEL_FIELDS  # noqa: E402

GIB = 1024**3

# The floors: what any tool must do to read the same files (and touch the same table).
FLOOR = r"""
import json, os, sys, yaml
mode, root, db = sys.argv[1], sys.argv[2], sys.argv[3]
files = sorted(
    os.path.join(d, f)
    for d, dirs, names in os.walk(root)
    for f in names
    if f.endswith((".yaml", ".yml")) and not f.startswith(".")
)
docs = []
for path in files:
    with open(path, encoding="utf-8") as fh:
        docs.extend(yaml.load_all(fh.read(), Loader=yaml.CSafeLoader))
if "select" in mode:
    import sqlite3
    with sqlite3.connect(db) as conn:
        conn.execute("SELECT * FROM models").fetchall()
if "insert" in mode:
    import sqlite3
    from datetime import datetime, timezone
    fields = json.loads(sys.argv[4])
    now = datetime.now(timezone.utc).isoformat()

    def get(doc, path):
        for part in path.split("."):
            doc = doc.get(part) if isinstance(doc, dict) else None
        return doc

    defaults = {"enabled": True, "capabilities.reasoning": None}

    def value(doc, path):
        v = get(doc, path)
        if v is None or v is False and path in defaults:
            return defaults.get(path)
        return str(v) if hasattr(v, "isoformat") else v

    rows = [
        [d["slug"], True, True, now, now] + [value(d, p) for p, _ in fields]
        for d in docs
        if isinstance(d, dict) and d.get("kind") == "Model"
    ]
    columns = ["slug", "managed", "active", "created_at", "updated_at"]
    columns += [c for _, c in fields]
    sql = "INSERT INTO models (%s) VALUES (%s)" % (",".join(columns), ",".join("?" * len(columns)))
    with sqlite3.connect(db) as conn:
        conn.executemany(sql, rows)
if "litellm" in mode:
    import importlib.util
    where = importlib.util.find_spec("litellm").submodule_search_locations[0]
    with open(os.path.join(where, "model_prices_and_context_window_backup.json"), "rb") as fh:
        json.load(fh)
"""


@dataclass
class Runs:
    times: list[float] = field(default_factory=list)  # wall, spawn to exit
    cpu: list[float] = field(default_factory=list)  # user + system of the process
    rss: list[int] = field(default_factory=list)  # bytes

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def row(self) -> str:
        return (
            f"{self.median:.3f} s ({min(self.times):.3f}-{max(self.times):.3f}), CPU "
            f"{statistics.median(self.cpu):.3f} s, {max(self.rss) / 2**20:,.0f} MiB"
        )


TIME = shutil.which("time", path="/usr/bin:/bin")


def run_once(
    argv: Sequence[str], env: dict[str, str], ok: Sequence[int] = (0,)
) -> tuple[float, float, int]:
    """Wall time from spawn to exit, CPU time (user + system) and peak resident set of one
    process, the last two from ``/usr/bin/time``. (Without it they come from ``os.wait4``,
    whose peak is too high: Linux carries the forking process's peak across exec.)
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        wrap = [TIME, "-q", "-f", "%M %U %S", "-o", out.name] if TIME else []
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*wrap, *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO
        )
        err = proc.stderr.read() if proc.stderr is not None else b""
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        if code not in ok:
            raise SystemExit(f"{' '.join(argv)} exited {code}:\n{err.decode()[-2000:]}")
        text = out.read().strip()
    if text:
        kib, user, system = text.splitlines()[-1].split()
        return elapsed, float(user) + float(system), int(kib) * 1024
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def measure(
    argv: Sequence[str],
    env: dict[str, str],
    repeat: int,
    before: Callable[[], None] | None = None,
    ok: Sequence[int] = (0,),
) -> Runs:
    runs = Runs()
    for _ in range(repeat):
        if before is not None:
            before()
        elapsed, cpu, rss = run_once(argv, env, ok)
        runs.times.append(elapsed)
        runs.cpu.append(cpu)
        runs.rss.append(rss)
    return runs


# --- catalogs and registries -------------------------------------------------------------------


def engine_catalog(root: Path, n: int) -> Path:
    """bench_engine's catalog: n models, one file each (bench-000000.yaml, ...)."""
    models = root / "models"
    models.mkdir(parents=True)
    for i in range(n):
        text = yaml.dump(model_doc(i), Dumper=yaml.CSafeDumper, sort_keys=False)
        (models / f"bench-{i:06d}.yaml").write_text(text, encoding="utf-8")
    (root / "settings.yaml").write_text("kind: Settings\ndefault_model: bench-000000\n", "utf-8")
    return root


def changed_copy(base: Path, root: Path, every: int = 100) -> Path:
    """base with every ``every``-th model changed; unchanged files are hard links."""
    shutil.copytree(base, root, copy_function=os.link)
    for path in sorted((root / "models").iterdir())[::every]:
        i = int(path.stem.rsplit("-", 1)[1])
        path.unlink()  # a hard link: write a new file, not through to base
        text = yaml.dump(model_doc(i, changed=True), Dumper=yaml.CSafeDumper, sort_keys=False)
        path.write_text(text, encoding="utf-8")
    return root


@dataclass
class Bench:
    cli: list[str]
    env: dict[str, str]
    work: Path
    template: Path  # an empty migrated registry
    results: dict[str, Runs] = field(default_factory=dict)

    def fresh(self, name: str) -> Path:
        path = self.work / name
        shutil.copyfile(self.template, path)
        return path

    def cmd(self, key: str, args: Sequence[str], repeat: int, **kw: object) -> Runs:
        runs = measure([*self.cli, *args], self.env, repeat, **kw)  # type: ignore[arg-type]
        self.results[key] = runs
        print(f"  {key}: {runs.row()}", file=sys.stderr, flush=True)
        return runs

    def floor(
        self, key: str, mode: str, root: Path, db: Path | None, repeat: int, **kw: object
    ) -> Runs:
        fields = json.dumps([list(f) for f in MODEL_FIELDS if f[0] != "credential"])
        argv = [sys.executable, "-c", FLOOR, mode, str(root), str(db or ""), fields]
        runs = measure(argv, self.env, repeat, **kw)  # type: ignore[arg-type]
        self.results[key] = runs
        print(f"  {key}: {runs.row()}", file=sys.stderr, flush=True)
        return runs


def example_catalog_runs(b: Bench, repeat: int) -> None:
    catalog = str(REPO / "catalog")
    db = b.fresh("example.db")
    url = f"sqlite:///{db}"
    run_once([*b.cli, "apply", "--auto-approve", "--catalog", catalog, "--db", url], b.env)
    b.floor("python", "none", REPO / "benchmarks" / "no-such-dir", None, repeat)
    b.cmd("help", ["--help"], repeat)
    b.floor("example parse", "parse", REPO / "catalog", None, repeat)
    b.cmd("example validate", ["validate", "--catalog", catalog], repeat)
    b.floor("example parse+select", "parse+select", REPO / "catalog", db, repeat)
    b.cmd("example plan", ["plan", "--catalog", catalog, "--db", url], repeat)
    b.floor("example lint floor", "parse+select+litellm", REPO / "catalog", db, repeat)
    b.cmd("example lint", ["lint", "--catalog", catalog], repeat)
    # start-up of test-connection up to its first call: a slug the catalog lacks exits 1 there
    b.cmd(
        "example test-connection",
        ["test-connection", "--catalog", catalog, "no-such-model"],
        repeat,
        ok=(1,),
    )


def sized_runs(b: Bench, n: int, repeat: int, *, memory_run: bool = False) -> None:
    """validate, apply and plan at n models with their floors; the memory run (100k) measures
    only what its targets need: apply's peak, and plan's peak and ratio to the parse."""
    tag = f"{n // 1000}k" if n >= 1000 else str(n)
    made: list[Path] = []
    if not memory_run:
        validate_cat = generate_catalog(b.work / f"validate-{n}", n, "per-file")
        made.append(validate_cat)
        b.floor(f"{tag} validate parse", "parse", validate_cat, None, repeat)
        b.cmd(f"{tag} validate", ["validate", "--catalog", str(validate_cat)], repeat)
    base = engine_catalog(b.work / f"base-{n}", n)
    changed = changed_copy(base, b.work / f"changed-{n}")
    made += [base, changed]
    if not memory_run:
        insert_db = b.work / f"insert-{n}.db"
        b.floor(
            f"{tag} parse+executemany",
            "parse+insert",
            base,
            insert_db,
            repeat,
            before=lambda: shutil.copyfile(b.template, insert_db),
        )
    apply_db = b.work / f"apply-{n}.db"
    apply_args = ["apply", "--auto-approve", "--catalog", str(base)]
    b.cmd(
        f"{tag} apply",
        [*apply_args, "--db", f"sqlite:///{apply_db}"],
        repeat,
        before=lambda: shutil.copyfile(b.template, apply_db),
    )
    # apply_db now holds the n models: plan the 1%-changed catalog against it
    plan_args = ["plan", "--catalog", str(changed), "--db", f"sqlite:///{apply_db}"]
    if memory_run:
        b.floor(f"{tag} plan parse", "parse", changed, None, repeat)
    else:
        b.floor(f"{tag} parse+select", "parse+select", changed, apply_db, repeat)
    b.cmd(f"{tag} plan", plan_args, repeat)
    for path in made:
        shutil.rmtree(path)


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    figure: str
    command: str
    floor: str | None  # None: a memory figure only
    max_ratio: float | None = None
    max_rss: int | None = None


def targets(sizes: Sequence[int], big: int) -> list[Target]:
    out = []
    for n in sizes:
        tag = f"{n // 1000}k" if n >= 1000 else str(n)
        out += [
            Target(
                f"`validate`, {n:,} models, one per file",
                f"{tag} validate",
                f"{tag} validate parse",
                1.5,
            ),
            Target(f"`plan`, {n:,} models, 1% changed", f"{tag} plan", f"{tag} parse+select", 2.0),
            Target(f"`apply`, {n:,} creates", f"{tag} apply", f"{tag} parse+executemany", 2.0),
        ]
    out += [
        Target("`plan`, example catalog, no changes", "example plan", "example parse+select", 6.0),
        Target("`lint`, example catalog", "example lint", "example lint floor", 8.0),
        Target("`validate`, example catalog", "example validate", "example parse"),
        Target(
            "`test-connection` start-up (to its first call)",
            "example test-connection",
            "example parse",
        ),
        Target("`--help`", "help", "python"),
    ]
    if big:
        tag = f"{big // 1000}k"
        out += [
            Target(f"`apply`, {big:,} creates", f"{tag} apply", None, max_rss=GIB),
            Target(
                f"`plan`, {big:,} models, 1% changed",
                f"{tag} plan",
                f"{tag} plan parse",
                2.5,
                GIB,
            ),
        ]
    return out


def _cell(runs: Runs) -> str:
    return (
        f"{runs.median:.3f} s ({min(runs.times):.3f}-{max(runs.times):.3f}); "
        f"CPU {statistics.median(runs.cpu):.3f} s"
    )


def report(results: dict[str, Runs], wanted: list[Target]) -> tuple[str, bool]:
    """The markdown table. A ratio target is met when the median wall ratio meets it; the CPU
    ratio (user + system time) is shown beside it because on a busy machine wall time also
    counts waiting for a core."""
    lines = [
        "| figure | command: wall median (min-max); CPU median | floor | ratio wall | "
        "ratio CPU | peak RSS | target | met |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    all_met = True
    for t in wanted:
        if t.command not in results:
            continue
        cmd = results[t.command]
        floor = results[t.floor] if t.floor is not None else None
        ratio = cmd.median / floor.median if floor else None
        cpu_ratio = statistics.median(cmd.cpu) / statistics.median(floor.cpu) if floor else None
        checks, goals = [], []
        if t.max_ratio is not None and ratio is not None:
            checks.append(ratio <= t.max_ratio)
            goals.append(f"<= {t.max_ratio:g}x")
        peak = max(cmd.rss)
        if t.max_rss is not None:
            checks.append(peak <= t.max_rss)
            goals.append(f"<= {t.max_rss / GIB:g} GiB")
        met = "-" if not checks else ("met" if all(checks) else "**not met**")
        if t.max_ratio is not None and cpu_ratio is not None and not checks[0]:
            met += " (met on CPU)" if cpu_ratio <= t.max_ratio else ""
        all_met = all_met and all(checks)
        floor_cell = f"{t.floor}: {_cell(floor)}" if floor else "-"
        floor_rss = f" (floor {max(floor.rss) / 2**20:,.0f})" if floor else ""
        lines.append(
            f"| {t.figure} | {_cell(cmd)} | {floor_cell} | "
            f"{'-' if ratio is None else f'{ratio:.2f}x'} | "
            f"{'-' if cpu_ratio is None else f'{cpu_ratio:.2f}x'} | "
            f"{peak / 2**20:,.0f} MiB{floor_rss} | {', '.join(goals) or '-'} | {met} |"
        )
    return "\n".join(lines), all_met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated model counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per sized figure")
    parser.add_argument("--small-repeat", type=int, default=7, help="runs on the example catalog")
    parser.add_argument("--big", type=int, default=100_000, help="the memory run's size; 0: none")
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("litellm") is None:  # lint and its floor read its model data
        parser.error("litellm is not installed here: install with '.[all]' (docs/benchmarks.md)")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    script = Path(sys.executable).with_name("reconciler")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "reconciler"]
    # PYTHONDONTWRITEBYTECODE would make an editable install compile every one of our
    # modules again in every run (56 on the plan path, ~0.035 s CPU); a user's install has
    # them cached
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("REGISTRY_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env |= {
        "OPENROUTER_API_KEY": "demo-openrouter-key-0001",
        "ANTHROPIC_API_KEY": "demo-anthropic-key-0001",
        "OPENAI_API_KEY": "demo-openai-key-00001",
    }
    env["REGISTRY_ENCRYPTION_KEY"] = subprocess.run(
        [*cli, "keygen"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="bench-commands-") as tmp:
        work = Path(tmp)
        template = work / "template.db"
        run_once([*cli, "db", "upgrade", "--db", f"sqlite:///{template}"], env)
        b = Bench(cli, env, work, template)
        print("example catalog", file=sys.stderr)
        example_catalog_runs(b, args.small_repeat)
        for n in sizes:
            print(f"{n} models", file=sys.stderr)
            sized_runs(b, n, args.repeat)
        if args.big:
            print(f"{args.big} models (one run)", file=sys.stderr)
            sized_runs(b, args.big, 1, memory_run=True)
    load = os.getloadavg()
    print(
        f"{started:%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}, SQLite, load average "
        f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} at the end; {args.repeat} runs per sized "
        f"figure, {args.small_repeat} on the example catalog, 1 at {args.big:,}\n"
    )
    table, all_met = report(b.results, targets(sizes, args.big))
    print(table)
    if args.json:
        raw = {k: {"wall": r.times, "cpu": r.cpu, "rss": r.rss} for k, r in b.results.items()}
        Path(args.json).write_text(json.dumps(raw, indent=1), encoding="utf-8")
    print("\nall targets met" if all_met else "\nsome targets not met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
