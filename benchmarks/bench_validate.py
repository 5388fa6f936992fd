"""Benchmark `reconciler validate` against the YAML parsing floor.

    python benchmarks/bench_validate.py [--sizes 1000,10000,100000] [--repeat N]

For each size N it writes a catalog of N models into a temp dir in two layouts:

* ``per-file``: one model per file (models/m-00000.yaml, ...);
* ``multi-doc``: 1000 models per file, separated by ``---``;

then times ``validate_catalog(dir)`` (load, JSON Schema, pydantic, semantic rules: the whole
validate minus printing) and the floor: reading the same files and parsing them with
``yaml.load_all(..., Loader=yaml.CSafeLoader)``. Best of ``--repeat`` runs (default 3). The
target is validate <= 2x the floor at 10k models. ``--sizes 200`` is the CI-budget mode.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run as a script from anywhere: import the checkout's package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler.catalog.load import catalog_files
from reconciler.catalog.validate import validate_catalog

LAYOUTS = ("per-file", "multi-doc")
DOCS_PER_FILE = 1000

_CREDENTIALS = """\
kind: ProviderCredential
name: platform-openrouter
display_name: Platform OpenRouter Key
provider: openrouter
api_key:
  env: OPENROUTER_API_KEY
---
kind: ProviderCredential
name: prod-anthropic
display_name: Production Anthropic Key
provider: anthropic
api_key:
  env: ANTHROPIC_API_KEY
---
kind: ProviderCredential
name: prod-openai
provider: openai
api_key:
  env: OPENAI_API_KEY
"""

_SETTINGS = """\
kind: Settings
default_model: model-0
platform_credential: platform-openrouter
"""


def model_yaml(i: int) -> str:
    """A realistic model document; every fourth is custom, the rest platform."""
    if i % 4 == 3:
        provider, cred = (
            ("anthropic", "prod-anthropic") if i % 8 == 3 else ("openai", "prod-openai")
        )
        head = (
            f"deployment: custom\nprovider: {provider}\nmodel_id: {provider}-model-{i}\n"
            f"credential: {cred}\n"
        )
    else:
        vendor = ("openai", "anthropic", "google", "x-ai")[i % 4]
        head = f"deployment: platform\nprovider: {vendor}\nmodel_id: {vendor}/model-{i}.5\n"
    reasoning = "  reasoning:\n    parameter: effort\n" if i % 2 else "  reasoning: false\n"
    return (
        f"kind: Model\n"
        f"display_name: Model {i}\n"
        f"{head}"
        f"category: {('premium', 'standard', 'budget')[i % 3]}\n"
        f"description: Benchmark model number {i}, good at everything it is asked to do.\n"
        f"release_date: 2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}\n"
        f"context_window: {128000 + i}\n"
        f"max_output_tokens: 32000\n"
        f"capabilities:\n  json_mode: true\n  vision: {str(i % 2 == 0).lower()}\n"
        f"  tool_use: true\n{reasoning}"
        f"cost:\n  input_per_token: 3e-06\n  output_per_token: 1.5e-05\n"
    )


def generate_catalog(root: Path, n: int, layout: str) -> Path:
    """Write a valid catalog of ``n`` models below ``root``; returns ``root``."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    (root / "credentials").mkdir(parents=True, exist_ok=True)
    (root / "models").mkdir(exist_ok=True)
    (root / "settings.yaml").write_text(_SETTINGS, encoding="utf-8")
    (root / "credentials" / "all.yaml").write_text(_CREDENTIALS, encoding="utf-8")
    if layout == "per-file":
        for i in range(n):
            (root / "models" / f"m-{i:06d}.yaml").write_text(model_yaml(i), encoding="utf-8")
    else:
        for start in range(0, n, DOCS_PER_FILE):
            docs = [model_yaml(i) for i in range(start, min(n, start + DOCS_PER_FILE))]
            (root / "models" / f"batch-{start // DOCS_PER_FILE:04d}.yaml").write_text(
                "---\n".join(docs), encoding="utf-8"
            )
    return root


def floor(root: Path) -> int:
    """Read and parse every catalog file with libyaml's safe loader; returns documents."""
    count = 0
    for path in catalog_files(root):
        with open(path, encoding="utf-8") as fh:
            count += sum(1 for _ in yaml.load_all(fh.read(), Loader=yaml.CSafeLoader))
    return count


def full_validate(root: Path) -> int:
    catalog = validate_catalog(root)
    if catalog.diagnostics:
        first = catalog.diagnostics[0]
        raise SystemExit(f"generated catalog is invalid: {first}")
    return len(catalog.models)


def best_of(repeat: int, fn: Callable[[Path], int], root: Path) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn(root)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated model counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best)")
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    layouts = [s for s in args.layouts.split(",") if s]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, best of {args.repeat}")
    print("| models | layout | floor (s) | validate (s) | ratio |")
    print("|---:|---|---:|---:|---:|")
    worst = 0.0
    for n in sizes:
        for layout in layouts:
            with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
                root = generate_catalog(Path(tmp) / "catalog", n, layout)
                assert full_validate(root) == n  # warm the page cache and check the catalog
                repeat = args.repeat if n <= 10_000 else 1
                t_floor = best_of(repeat, floor, root)
                t_validate = best_of(repeat, full_validate, root)
            ratio = t_validate / t_floor
            worst = max(worst, ratio)
            print(f"| {n} | {layout} | {t_floor:.3f} | {t_validate:.3f} | {ratio:.2f}x |")
            sys.stdout.flush()
    print(f"worst ratio: {worst:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
