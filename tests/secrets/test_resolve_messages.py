"""A secret that cannot be read is reported by who uses it (credential, file, field) and what
to do, never by its value."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import CANARY, cli, credential_doc, model_doc, write_catalog

from reconciler.secrets.crypto import generate_key_text
from reconciler.secrets.resolve import resolve_values, secret_labels, unreadable_secrets
from reconciler.secrets.stamp import secret_refs
from reconciler.state.desired import load_desired


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MISSING_KEY", raising=False)
    monkeypatch.setenv("PRESENT_KEY", CANARY)
    return write_catalog(
        tmp_path / "catalog",
        [model_doc("m1", credential="prod-openai"), model_doc("m2", credential="other")],
        [credential_doc("prod-openai", env="MISSING_KEY"), credential_doc("other", "PRESENT_KEY")],
    )


def test_missing_env_var_names_credential_file_and_field(catalog: Path) -> None:
    desired = load_desired(catalog)
    refs = secret_refs(desired)
    resolved = resolve_values(refs.values(), catalog)
    err = unreadable_secrets(refs, resolved.errors, secret_labels(desired, catalog))
    text = str(err)
    assert err.message == (
        "cannot read 1 secret:\n"
        f"  credential prod-openai ({catalog}/credentials.yaml), api_key: "
        "environment variable MISSING_KEY is not set"
    )
    assert err.hint is not None
    assert "set MISSING_KEY in the environment" in err.hint
    assert CANARY not in text
    assert "other" not in err.message  # the readable secret is not listed


def test_labels_without_the_catalog_name_the_credential(catalog: Path) -> None:
    desired = load_desired(catalog)
    labels = secret_labels(desired)
    assert sorted(labels.values()) == [
        "credential other, api_key",
        "credential prod-openai, api_key",
    ]


def test_shared_reference_names_every_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MISSING_KEY", raising=False)
    root = write_catalog(
        tmp_path / "catalog",
        [model_doc("m1", credential="a")],
        [credential_doc("a", env="MISSING_KEY"), credential_doc("b", env="MISSING_KEY")],
    )
    desired = load_desired(root)
    refs = secret_refs(desired)
    err = unreadable_secrets(
        refs, resolve_values(refs.values(), root).errors, secret_labels(desired)
    )
    assert "credential a, api_key; credential b, api_key: environment variable" in err.message


def test_without_labels_the_reference_is_named(catalog: Path) -> None:
    desired = load_desired(catalog)
    refs = secret_refs(desired)
    err = unreadable_secrets(refs, resolve_values(refs.values(), catalog).errors)
    assert "  env MISSING_KEY: environment variable MISSING_KEY is not set" in err.message


def test_apply_names_the_credential_of_a_missing_env_var(
    catalog: Path, registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_ENCRYPTION_KEY", generate_key_text())
    result = cli(["apply", "--catalog", str(catalog), "--db", registry_url, "--auto-approve"])
    assert result.exit_code == 1, result.output
    assert f"credential prod-openai ({catalog}/credentials.yaml), api_key:" in result.output
    assert CANARY not in result.output
