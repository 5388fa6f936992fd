"""litellm's model data, read from the JSON file it ships without importing litellm."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.lint.knowledge import read_model_data


def _table(tmp_path: Path, raw: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return {k: dict(v) for k, v in read_model_data(str(path)).items()}


GPT = {"litellm_provider": "openai", "max_tokens": 10}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"gpt": GPT}, {"gpt": GPT}),
        # a pointer row is served as its target
        ({"gpt": GPT, "old": {"alias_of": "gpt"}}, {"gpt": GPT, "old": GPT}),
        # a pointer to nothing, or to another pointer, is dropped
        ({"gpt": GPT, "a": {"alias_of": "b"}, "b": {"alias_of": "none"}}, {"gpt": GPT}),
        # an aliases list adds names and does not stay in the entry
        ({"gpt": {**GPT, "aliases": ["g1", "gpt"]}}, {"gpt": GPT, "g1": GPT}),
        # the generalizations block is not a model entry
        ({"gpt": GPT, "fallback_generalizations": {"rules": []}}, {"gpt": GPT}),
    ],
)
def test_read_model_data(tmp_path: Path, raw: dict[str, Any], expected: dict[str, Any]) -> None:
    assert _table(tmp_path, raw) == expected


PROBE = """
import sys
from reconciler.lint.knowledge import model_cost
from reconciler.providers.litellm_env import import_litellm

ours = model_cost()
assert "litellm" not in sys.modules
theirs = import_litellm().model_cost
assert sorted(ours) == sorted(theirs), set(ours) ^ set(theirs)
bad = [k for k in theirs if dict(theirs[k]) != dict(ours[k])]
assert not bad, bad[:5]
print("SAME", len(ours))
"""


def test_model_cost_is_litellms_table_without_importing_litellm() -> None:
    # a fresh process: another test may already have imported litellm into this one
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("SAME "), proc.stdout
    assert int(proc.stdout.split()[1]) > 1000
