"""A REGISTRY_ENCRYPTION_KEY that does not match the registry: on SQLite the message adds that
a throwaway registry can simply be deleted; on PostgreSQL it does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import apply, credential_doc, model_doc, plan, secret_env, write_catalog

from reconciler.db.engine import sqlite_path, throwaway_file
from reconciler.render.alerts import key_mismatch_hint
from reconciler.secrets.crypto import KEY_ENV, generate_key_text


def test_a_wrong_key_on_sqlite_says_a_throwaway_registry_can_be_deleted(
    registry_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in secret_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CANARY_KEY", "sk-CANARY-throwaway-0123456789")
    root = write_catalog(
        tmp_path / "cat", [model_doc("m1", credential="c1")], [credential_doc("c1")]
    )
    assert apply(registry_url, root).exit_code == 0
    monkeypatch.setenv(KEY_ENV, generate_key_text())
    path = sqlite_path(registry_url)
    for result in (plan(registry_url, root), apply(registry_url, root)):
        assert result.exit_code == 1, result.output
        assert "does not match" in result.output
        if path is None:
            assert "throwaway" not in result.output
        else:
            assert f"if {path} is a throwaway registry" in result.output
            assert "delete it and run 'reconciler db upgrade'" in result.output


@pytest.mark.parametrize(
    ("url", "empty"),
    [
        ("postgresql+psycopg://u@h/d", True),
        ("sqlite:///:memory:", True),
        ("sqlite:////tmp/r.db", False),
    ],
)
def test_throwaway_hint_only_for_sqlite_files(url: str, empty: bool) -> None:
    assert ("throwaway" not in key_mismatch_hint(throwaway_file(url))) is empty
    assert throwaway_file(None) is None
