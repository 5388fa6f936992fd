"""The pipeline: catalog -> desired state once, registry -> live state, what test-connection
calls; against real catalogs and registries on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import apply, credential_doc, model_doc, secret_env, write_catalog

from reconciler import pipeline
from reconciler.errors import CatalogError, DatabaseError
from reconciler.plan.refusals import Purpose
from reconciler.render.connections import error_text


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CANARY_KEY", "sk-pipeline-0123456789abcdef")
    return write_catalog(
        tmp_path / "catalog",
        [model_doc("a", credential="c1"), model_doc("b"), model_doc("off", enabled=False)],
        [credential_doc("c1"), credential_doc("unused")],
    )


def test_load_gives_the_desired_state_and_names_credential_files(catalog: Path) -> None:
    loaded = pipeline.load(catalog)
    assert loaded.root == catalog
    assert sorted(loaded.desired.models) == ["a", "b", "off"]
    assert loaded.desired.credential_files == {
        "c1": f"{catalog}/credentials.yaml",
        "unused": f"{catalog}/credentials.yaml",
    }


def test_load_refuses_an_invalid_catalog_showing_its_errors(tmp_path: Path) -> None:
    root = write_catalog(
        tmp_path / "bad", [model_doc(f"m{i}", context_window=-1) for i in range(22)]
    )
    with pytest.raises(CatalogError) as info:
        pipeline.load(root)
    assert info.value.message.startswith("the catalog has 22 validation errors:\n")
    assert info.value.message.endswith("... and 2 more")


def test_read_live_does_not_create_a_missing_registry(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    with pytest.raises(DatabaseError):
        pipeline.read_live(f"sqlite:///{missing}", None, purpose=Purpose.LIST)
    assert not missing.exists()


def test_catalog_targets_resolve_credentials_and_fallbacks(
    catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    targets = pipeline.connection_targets(
        [], changed_only=False, db_url=None, catalog_dir=str(catalog)
    )
    assert targets.selected == ["a", "b"]  # enabled models only
    assert [(m.slug, m.source) for m in targets.ready] == [("a", "credential:c1")]
    [failed] = targets.failed
    assert (failed.slug, error_text(failed)) == (
        "b",
        "not tested: no credential, and none of OPENAI_API_KEY is set",
    )


def test_changed_targets_follow_the_plan(
    catalog: Path, registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in secret_env().items():
        monkeypatch.setenv(name, value)
    assert apply(registry_url, catalog).exit_code == 0
    write_catalog(
        catalog,
        [
            model_doc("a", credential="c1"),
            model_doc("b", context_window=2000),
            model_doc("off", enabled=False),
        ],
        [credential_doc("c1"), credential_doc("unused", display_name="Renamed")],
    )
    targets = pipeline.connection_targets(
        [], changed_only=True, db_url=registry_url, catalog_dir=str(catalog)
    )
    assert targets.selected == ["b"]
    assert targets.unused_credentials == ["unused"]


def test_debug_logs_each_stage_with_counts_and_never_a_secret(tmp_path: Path) -> None:
    import logging

    from engine_helpers import cli

    from reconciler.secrets.crypto import generate_key_text

    canary = "sk-CANARY-debug-0123456789abcdef"
    canary_rotated = "sk-CANARY-rotated-fedcba9876543210"
    root = write_catalog(
        tmp_path / "cat",
        [model_doc("a", credential="c")],
        [credential_doc("c", env="DEBUG_CANARY_KEY")],
    )
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    env = {"DEBUG_CANARY_KEY": canary, "REGISTRY_ENCRYPTION_KEY": generate_key_text()}
    assert cli(["db", "upgrade", "--db", url], env).exit_code == 0
    apply_args = ["apply", "--catalog", str(root), "--db", url, "--auto-approve"]
    try:
        debug = cli(["--debug", "plan", "--catalog", str(root), "--db", url], env)
        verbose = cli(["-v", "plan", "--catalog", str(root), "--db", url], env)
        applied = cli(["--debug", *apply_args], env)
        # the key rotated at its source, one model dropped from the catalog
        write_catalog(root, [model_doc("b")], [credential_doc("c", env="DEBUG_CANARY_KEY")])
        rotated_env = {**env, "DEBUG_CANARY_KEY": canary_rotated}
        rotated = cli(["--debug", *apply_args, "--allow-mass-removal"], rotated_env)
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    assert debug.exit_code == 0, debug.output
    lines = [line for line in debug.stderr.splitlines() if line.startswith("DEBUG reconciler.")]
    stages = ("loaded catalog", "encryption key set", "read the registry", "stamped", "diffed")
    for stage in stages:
        assert any(stage in line for line in lines), (stage, debug.stderr)
    assert any("1 model(s), 1 credential(s)" in line for line in lines)
    assert any("values fingerprinted" in line for line in lines)  # the canary was read
    assert canary not in debug.output + debug.stderr
    assert "DEBUG" not in verbose.stderr  # -v is progress only

    # apply's write phase: the locked re-read, the re-diff, the writes by kind, the commit
    assert applied.exit_code == 0, applied.output
    written = [x for x in applied.stderr.splitlines() if x.startswith("DEBUG reconciler.apply")]
    expected = (
        "took the registry lock in ",
        "re-read the registry under it in ",
        "revision 0, 0 model(s), 0 credential(s), settings absent",
        "re-diffed under the lock in ",
        "3 change(s), 0 error(s)",
        "credential create 1, model create 1, settings create 1;",
        "1 secret(s) encrypted and stored, 0 removed",
        "committed in ",
        "audit run 1",
    )
    for part in expected:
        assert any(part in line for line in written), (part, applied.stderr)
    assert canary not in applied.output + applied.stderr
    assert rotated.exit_code == 0, rotated.output
    written = [x for x in rotated.stderr.splitlines() if x.startswith("DEBUG reconciler.apply")]
    expected = (
        "revision 4, 1 model(s), 1 credential(s), settings present",
        "credential update 1, model create 1, model deactivate 1, settings update 1;",
        "1 secret(s) encrypted and stored, 0 removed",
    )
    for part in expected:
        assert any(part in line for line in written), (part, rotated.stderr)
    for secret in (canary, canary_rotated):
        assert secret not in rotated.output + rotated.stderr
