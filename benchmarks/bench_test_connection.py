"""test-connection on 50 models against a loopback server that takes ~0.3 s per call.

Prints the wall time next to the sum of the per-call latencies: parallel calls finish in about
the time of the slowest call, not the sum. Run: .venv/bin/python benchmarks/bench_test_connection.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from loopback import Behaviour, loopback_server

from reconciler.providers.connection import run_connection_tests
from reconciler.providers.litellm_env import import_litellm
from reconciler.render.connections import error_text
from reconciler.runtime import ResolvedModel
from reconciler.secrets.values import SecretValue

MODELS = 50
DELAY = 0.3


def main() -> None:
    import_litellm()  # not part of the measurement
    with loopback_server(Behaviour(delay=DELAY)) as srv:
        models = [
            ResolvedModel(
                slug=f"model-{i}",
                provider="openai_compatible",
                model_id=f"model-{i}",
                deployment="custom",
                source="credential:bench",
                secrets={"api_key": SecretValue("sk-bench-key-0123456789")},
                config={"base_url": srv.openai_base},
            )
            for i in range(MODELS)
        ]
        run_connection_tests(models[:1], 10.0)  # warm up litellm's client setup
        start = time.perf_counter()
        results = run_connection_tests(models, 10.0)
        wall = time.perf_counter() - start
    failed = [r for r in results if not r.ok]
    latencies = [r.latency or 0.0 for r in results]
    print(f"models:            {len(results)} ({len(failed)} failed)")
    print(f"wall time:         {wall:.2f} s")
    print(f"slowest call:      {max(latencies):.2f} s")
    print(f"sum of latencies:  {sum(latencies):.2f} s")
    print(f"speed-up vs serial: {sum(latencies) / wall:.1f}x")
    if failed:
        print("first failure:", error_text(failed[0]))
        sys.exit(1)


if __name__ == "__main__":
    main()
