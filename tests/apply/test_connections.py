"""apply --test-connections' gate as a typed result: the live-call results of the models a change
creates or changes, and whether it passed (words: tests/render/test_command_words.py; the
refused apply: tests/commands/test_apply_test_connections.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from loopback import Loopback

from reconciler import pipeline
from reconciler.apply.connections import gate_on_connections
from reconciler.diff.diff import DiffOptions
from reconciler.providers.connection import ConnectionGate
from reconciler.providers.failures import FailureKind
from reconciler.secrets.crypto import generate_key_text

GOOD = "sk-gate-good-key-000111222333444"
BAD = "sk-gate-wrong-key-999888777666555"

pytestmark = pytest.mark.loopback(valid_keys={GOOD})


def _catalog(tmp_path: Path, srv: Loopback) -> Path:
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "cred.yaml").write_text(
        f"kind: ProviderCredential\nname: local\nprovider: openai_compatible\n"
        f"base_url: {srv.openai_base}\napi_key: {{env: GATE_KEY}}\n"
    )
    for slug in ("one", "two"):
        (root / f"{slug}.yaml").write_text(
            f"kind: Model\ndisplay_name: {slug}\ndeployment: custom\n"
            f"provider: openai_compatible\nmodel_id: {slug}-model\ncredential: local\n"
            "context_window: 8000\n"
        )
    (root / "settings.yaml").write_text("kind: Settings\ndefault_model: one\n")
    return root


def _gate(root: Path, registry_url: str) -> ConnectionGate:
    _, to_apply = pipeline.catalog_apply(
        str(root),
        registry_url,
        environment=None,
        options=DiffOptions(),
        rebind_environment=False,
    )
    return gate_on_connections(to_apply.stamped, to_apply.root, registry_url, to_apply.options)


def test_the_gate_returns_every_changed_model_and_its_verdict(
    registry_url: str, tmp_path: Path, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_ENCRYPTION_KEY", generate_key_text())
    monkeypatch.setenv("GATE_KEY", BAD)
    root = _catalog(tmp_path, server)

    refused = _gate(root, registry_url)
    assert [(r.slug, r.ok) for r in refused.results] == [("one", False), ("two", False)]
    assert all(
        r.failure is not None and r.failure.kind is FailureKind.HTTP_STATUS for r in refused.results
    )
    assert refused.failed == ("one", "two")
    assert not refused.passed

    monkeypatch.setenv("GATE_KEY", GOOD)
    passed = _gate(root, registry_url)
    assert [(r.slug, r.ok) for r in passed.results] == [("one", True), ("two", True)]
    assert passed.passed

    _, to_apply = pipeline.catalog_apply(
        str(root), registry_url, environment=None, options=DiffOptions(), rebind_environment=False
    )
    pipeline.apply(
        to_apply, registry_url, allowed=frozenset(), lock_timeout=5.0, rebind_environment=False
    )
    unchanged = _gate(root, registry_url)  # nothing to create or change: nothing tested
    assert unchanged.results == ()
    assert unchanged.passed
