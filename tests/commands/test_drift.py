"""``reconciler drift`` as a scheduled job runs it: exit codes, and which rows were edited in the
registry versus which catalog changes wait for an apply. SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from engine_helpers import (
    CANARY,
    cli,
    credential_doc,
    execute,
    insert_app_credential,
    insert_app_model,
    model_doc,
    write_catalog,
)

from reconciler.db import tables as t
from reconciler.secrets.crypto import KEY_ENV, generate_key_text
from reconciler.secrets.sops import find_sops

COSTS = {"cost": {"input_per_token": 3e-06, "output_per_token": 0}}  # 0: an int in YAML


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return write_catalog(tmp_path / "cat", [model_doc("a", **COSTS), model_doc("b")])


@pytest.fixture
def applied(registry_url: str, catalog: Path) -> str:
    result = cli(["apply", "--catalog", str(catalog), "--db", registry_url, "--auto-approve"])
    assert result.exit_code == 0, result.output
    return registry_url


def drift(url: str, catalog: Path, *extra: str) -> tuple[int, str]:
    result = cli(["drift", "--catalog", str(catalog), "--db", url, *extra])
    return result.exit_code, result.output


def drift_json(url: str, catalog: Path, *extra: str) -> dict[str, Any]:
    code, output = drift(url, catalog, "--format", "json", *extra)
    document: dict[str, Any] = json.loads(output)
    assert code == (2 if document["drift"] else 0)
    return document


def edit_model(url: str, slug: str, **values: Any) -> None:
    execute(url, sa.update(t.models).where(t.models.c.slug == slug).values(**values))


def test_no_drift_right_after_apply(applied: str, catalog: Path) -> None:
    # costs read back from the registry (3e-06, 0.0) hash like the catalog's (3e-06, 0)
    code, output = drift(applied, catalog)
    assert code == 0, output
    assert output == "No drift: the registry matches the catalog and holds no unmanaged rows.\n"


def test_row_edited_in_the_registry_is_attributed_to_the_registry(
    applied: str, catalog: Path
) -> None:
    edit_model(applied, "a", context_window=4096)
    code, output = drift(applied, catalog)
    assert code == 2
    assert "The catalog is unchanged since the last apply." in output
    assert "Edited in the registry since the last apply (outside the catalog): 1\n" in output
    assert "  model a: context_window\n" in output  # which fields differ
    assert "context_window: 4096 -> 1000" in output
    assert "Catalog changes not applied yet" not in output
    document = drift_json(applied, catalog)
    assert document["catalog_applied"] is True
    assert document["edited_in_registry"] == ["model a"]
    assert document["not_yet_applied"] == []
    assert document["changed_fields"] == {"model a": ["context_window"]}
    assert document["errors"] == []


def test_edited_rows_and_unapplied_catalog_changes_are_told_apart(
    applied: str, catalog: Path
) -> None:
    edit_model(applied, "a", enabled=False)
    write_catalog(
        catalog,
        [model_doc("a", **COSTS), model_doc("b", context_window=2000), model_doc("c")],
    )
    document = drift_json(applied, catalog)
    assert document["catalog_applied"] is False
    assert document["edited_in_registry"] == ["model a"]
    assert sorted(document["not_yet_applied"]) == ["model b", "model c"]
    assert document["unattributed"] == []
    code, output = drift(applied, catalog)
    assert code == 2
    assert "The catalog changed since the last apply." in output
    assert "Catalog changes not applied yet: 2\n  model b: context_window\n" in output
    assert "  model c (create)\n" in output  # no fields to name: the action


def test_each_field_is_attributed_to_the_application_the_catalog_or_both(
    applied: str, catalog: Path
) -> None:
    edit_model(applied, "a", context_window=4096, max_output_tokens=50)
    write_catalog(
        catalog,
        [model_doc("a", **COSTS, max_output_tokens=70, description="new"), model_doc("b")],
    )
    document = drift_json(applied, catalog)
    assert document["edited_in_registry"] == ["model a"]
    assert document["not_yet_applied"] == ["model a"]
    assert document["conflicts"] == ["model a"]
    assert document["fields_by_origin"] == {
        "edited": {"model a": ["context_window"]},
        "unapplied": {"model a": ["description"]},
        "conflict": {"model a": ["max_output_tokens"]},
    }
    code, output = drift(applied, catalog)
    assert code == 2
    assert "Edited in the registry since the last apply (outside the catalog): 1\n" in output
    assert "  model a: context_window\n" in output
    assert "Catalog changes not applied yet: 1\n  model a: description\n" in output
    assert "Conflicts: changed in the registry and in the catalog" in output
    assert "  model a: max_output_tokens\n" in output


def test_model_reactivated_in_the_registry_is_an_edit(applied: str, catalog: Path) -> None:
    write_catalog(catalog, [model_doc("a", **COSTS)])
    result = cli(["apply", "--catalog", str(catalog), "--db", applied, "--auto-approve"])
    assert result.exit_code == 0, result.output
    assert drift(applied, catalog)[0] == 0  # "b" deactivated, as the catalog says
    edit_model(applied, "b", active=True, deactivated_at=None)
    document = drift_json(applied, catalog)
    assert document["edited_in_registry"] == ["model b"]
    assert document["managed"]["summary"]["deactivate"] == 1


def test_rows_without_a_digest_fall_back_to_the_catalog_digest(applied: str, catalog: Path) -> None:
    # rows written before migration 0003 carry no digest (nor values by field: 0006)
    execute(applied, sa.update(t.models).values(applied_digest=None, applied_values=None))
    edit_model(applied, "a", context_window=4096)
    assert drift_json(applied, catalog)["edited_in_registry"] == ["model a"]
    write_catalog(catalog, [model_doc("a", **COSTS), model_doc("b", context_window=2000)])
    document = drift_json(applied, catalog)
    assert document["unattributed"] == ["model a", "model b"]
    code, output = drift(applied, catalog)
    assert code == 2
    assert "Changed, origin unknown (row written before drift tracking): 2" in output


def test_unmanaged_rows_are_drift(applied: str, catalog: Path) -> None:
    insert_app_model(applied, "made-in-ui")
    code, output = drift(applied, catalog)
    assert code == 2
    assert output.startswith("1 row not managed by the catalog")  # no blank line first
    assert "  ? model made-in-ui\n" in output
    assert "Applying the catalog would make" not in output  # the managed rows match
    assert drift_json(applied, catalog)["unmanaged"] == [
        {"kind": "model", "key": "made-in-ui", "provider": "openai"}
    ]


def test_never_applied_registry(registry_url: str, catalog: Path) -> None:
    code, output = drift(registry_url, catalog)
    assert code == 2
    assert "The catalog was never applied to this registry." in output
    assert "Catalog changes not applied yet: 3\n" in output  # a, b and the settings


def test_row_edited_in_the_registry_and_changed_in_the_catalog_is_in_both(
    applied: str, catalog: Path
) -> None:
    edit_model(applied, "a", description="edited in the UI")
    write_catalog(catalog, [model_doc("a", context_window=2048, **COSTS), model_doc("b")])
    document = drift_json(applied, catalog)
    assert document["edited_in_registry"] == ["model a"]
    assert document["not_yet_applied"] == ["model a"]
    [change] = document["managed"]["changes"]
    assert set(change["fields"]) == {"description", "context_window"}


def test_unmanaged_settings_are_named_once(registry_url: str, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "cat", [])  # leaves the settings to the application
    execute(
        registry_url,
        sa.insert(t.settings).values(id=1, managed=False, updated_at=datetime.now(UTC)),
    )
    code, output = drift(registry_url, root)
    assert code == 2, output
    assert "  ? settings\n" in output
    assert "settings settings" not in output


def test_plan_errors_exit_1_and_are_shown(
    registry_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong REGISTRY_ENCRYPTION_KEY is a plan error: drift cannot be told, as plan says."""
    monkeypatch.setenv(KEY_ENV, generate_key_text())
    monkeypatch.setenv("CANARY_KEY", CANARY)
    root = write_catalog(
        tmp_path / "cat", [model_doc("a", credential="c")], [credential_doc("c", provider="openai")]
    )
    result = cli(["apply", "--catalog", str(root), "--db", registry_url, "--auto-approve"])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv(KEY_ENV, generate_key_text())  # not the registry's key
    code, output = drift(registry_url, root)
    assert code == 1, output
    assert output.startswith("Cannot check drift: the plan has 1 error.\n  x ")
    assert "which REGISTRY_ENCRYPTION_KEY does not match" in output
    assert "Applying the catalog would make" not in output
    assert "No changes planned" not in output
    plan = cli(["plan", "--catalog", str(root), "--db", registry_url])
    assert plan.exit_code == 1  # as plan
    code, output = drift(registry_url, root, "--format", "json")
    assert code == 1
    document = json.loads(output)
    assert len(document["errors"]) == 1
    assert document["errors"][0]["kind"] == "key-mismatch"
    assert "does not match" in document["errors"][0]["message"]


# --- secrets -------------------------------------------------------------------------------

ROTATED = "sk-CANARY-rotated-at-the-source-987654"


@pytest.fixture
def with_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secret access: the registry key and the env secret's value."""
    monkeypatch.setenv(KEY_ENV, generate_key_text())
    monkeypatch.setenv("CANARY_KEY", CANARY)


def credential_catalog(root: Path, **credential: Any) -> Path:
    return write_catalog(
        root, [model_doc("a", credential="c")], [credential_doc("c", **credential)]
    )


@pytest.fixture
def cred_applied(registry_url: str, tmp_path: Path, with_key: None) -> tuple[str, Path]:
    root = credential_catalog(tmp_path / "cat")
    result = cli(["apply", "--catalog", str(root), "--db", registry_url, "--auto-approve"])
    assert result.exit_code == 0, result.output
    assert drift(registry_url, root)[0] == 0
    return registry_url, root


def edit_secret(url: str, **values: Any) -> None:
    execute(url, sa.update(t.credential_secrets).values(**values))


def test_secret_rotated_at_its_source_is_not_a_catalog_change(
    cred_applied: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = cred_applied
    monkeypatch.setenv("CANARY_KEY", ROTATED)
    code, output = drift(url, root)
    assert code == 2, output
    assert "The catalog is unchanged since the last apply." in output
    assert (
        "Secrets that differ from their source (rotated at the source, or changed in the "
        "registry): 1\n"
        "  credential c: api_key (value differs)\n"
        "  Apply to store the current value from the source.\n"
    ) in output
    assert "Catalog changes not applied yet" not in output
    assert "Edited in the registry" not in output
    assert ROTATED not in output
    assert CANARY not in output
    document = drift_json(url, root)
    assert document["secrets_differ_from_source"] == [
        {"credential": "c", "field": "api_key", "compared_by": "value"}
    ]
    assert document["not_yet_applied"] == []
    assert document["edited_in_registry"] == []
    assert document["secrets_not_compared"] == []
    assert ROTATED not in json.dumps(document)
    # applying stores the current value: no drift left
    result = cli(["apply", "--catalog", str(root), "--db", url, "--auto-approve"])
    assert result.exit_code == 0, result.output
    assert drift(url, root)[0] == 0


def test_stored_secret_changed_in_the_registry_is_reported_as_differing(
    cred_applied: tuple[str, Path],
) -> None:
    url, root = cred_applied
    edit_secret(url, fingerprint="0" * 64)
    document = drift_json(url, root)
    assert document["secrets_differ_from_source"] == [
        {"credential": "c", "field": "api_key", "compared_by": "value"}
    ]
    assert document["not_yet_applied"] == []
    edit_secret(url, reference={})  # written by the application: it names no source
    document = drift_json(url, root)
    assert document["secrets_differ_from_source"] == [
        {"credential": "c", "field": "api_key", "compared_by": "reference"}
    ]
    code, output = drift(url, root)
    assert code == 2
    assert "  credential c: api_key (the registry's copy names no source)\n" in output


def test_new_secret_reference_in_the_catalog_is_a_catalog_change(
    cred_applied: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = cred_applied
    monkeypatch.setenv("OTHER_KEY", ROTATED)
    credential_catalog(root, env="OTHER_KEY")
    document = drift_json(url, root)
    assert document["catalog_applied"] is False
    assert document["not_yet_applied"] == ["credential c"]
    assert document["secrets_differ_from_source"] == []
    code, output = drift(url, root)
    assert code == 2
    assert "Catalog changes not applied yet: 1\n  credential c: api_key\n" in output
    assert "Secrets that differ from their source" not in output


def test_secret_reference_changed_in_the_registry_is_an_edit(
    cred_applied: tuple[str, Path],
) -> None:
    url, root = cred_applied
    edit_secret(url, reference={"env": "SOMETHING_ELSE"})
    document = drift_json(url, root)
    assert document["catalog_applied"] is True
    assert document["edited_in_registry"] == ["credential c"]
    assert document["not_yet_applied"] == []
    assert document["secrets_differ_from_source"] == []


def test_rotated_secret_and_catalog_edit_of_the_same_credential_are_told_apart(
    cred_applied: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = cred_applied
    monkeypatch.setenv("CANARY_KEY", ROTATED)
    credential_catalog(root, description="now described")
    document = drift_json(url, root)
    assert document["not_yet_applied"] == ["credential c"]
    assert document["secrets_differ_from_source"] == [
        {"credential": "c", "field": "api_key", "compared_by": "value"}
    ]
    assert document["changed_fields"] == {"credential c": ["description", "api_key"]}
    code, output = drift(url, root)
    assert code == 2
    # each group names only the fields it explains
    assert "Catalog changes not applied yet: 1\n  credential c: description\n" in output
    assert "  credential c: api_key (value differs)\n" in output


def test_without_the_registry_key_env_secrets_cannot_be_compared(
    cred_applied: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = cred_applied
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv("CANARY_KEY", ROTATED)
    code, output = drift(url, root)
    assert code == 0, output  # nothing it could compare differs...
    assert output.startswith(
        "No drift: the registry matches the catalog and holds no unmanaged rows, except "
        "1 secret it could not compare (see the notes).\n"
    )
    # ...and it says what it could not compare
    assert f"Note: {KEY_ENV} is not set: secrets compared by source version" in output
    assert "could not tell whether these secrets changed" in output
    assert "c.api_key" in output
    assert ROTATED not in output
    document = drift_json(url, root)
    assert document["drift"] is False
    assert document["secrets_not_compared"] == ["c.api_key"]
    assert document["secrets_differ_from_source"] == []


def _secretkit() -> ModuleType:
    """tests/secrets/secretkit.py (age identities made in Python), loaded by path."""
    path = Path(__file__).parents[1] / "secrets" / "secretkit.py"
    spec = importlib.util.spec_from_file_location("drift_secretkit", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_sops_secret_rotated_without_secret_access_is_seen_by_source_version(
    registry_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no identity from the real home
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    identity, recipient = _secretkit().new_identity()
    key_file = tmp_path / "age-key.txt"
    key_file.write_text(f"{identity}\n")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key_file))
    monkeypatch.setenv(KEY_ENV, generate_key_text())
    root = tmp_path / "cat"
    secret_file = root / "secrets" / "prod.enc.yaml"
    secret_file.parent.mkdir(parents=True)
    secret_file.write_text(f"openai:\n  api_key: {CANARY}\n")
    sops = find_sops()

    def run_sops(*args: str) -> None:
        subprocess.run([sops, *args], check=True, capture_output=True, timeout=60)

    run_sops("encrypt", "--age", recipient, "--in-place", str(secret_file))
    ref = {"sops": {"file": "secrets/prod.enc.yaml", "key": "openai.api_key"}}
    credential_catalog(root, api_key=ref)
    result = cli(["apply", "--catalog", str(root), "--db", registry_url, "--auto-approve"])
    assert result.exit_code == 0, result.output

    monkeypatch.delenv(KEY_ENV)  # no secret access: source versions only
    assert drift(registry_url, root)[0] == 0
    run_sops("set", str(secret_file), '["openai"]["api_key"]', json.dumps(ROTATED))
    code, output = drift(registry_url, root)
    assert code == 2, output
    assert "  credential c: api_key (source version differs; values were not compared)\n" in output
    assert "Catalog changes not applied yet" not in output  # same reference: a rotation
    assert ROTATED not in output
    assert CANARY not in output
    document = drift_json(registry_url, root)
    assert document["secrets_differ_from_source"] == [
        {"credential": "c", "field": "api_key", "compared_by": "source_version"}
    ]
    assert document["not_yet_applied"] == []


# --- --ignore-unmanaged ----------------------------------------------------------------------


def test_ignore_unmanaged_lists_unmanaged_rows_but_exits_0(applied: str, catalog: Path) -> None:
    insert_app_model(applied, "made-in-ui")
    insert_app_credential(applied, "app-cred")
    assert drift(applied, catalog)[0] == 2  # counted by default
    code, output = drift(applied, catalog, "--ignore-unmanaged")
    assert code == 0, output
    assert output.startswith("No drift: the registry matches the catalog.\n")
    assert (
        "2 rows not managed by the catalog (created in the application), not counted as "
        "drift (--ignore-unmanaged):\n  ? credential app-cred\n  ? model made-in-ui\n"
    ) in output
    document = drift_json(applied, catalog, "--ignore-unmanaged")
    assert document["drift"] is False
    assert document["unmanaged_ignored"] is True
    assert [row["key"] for row in document["unmanaged"]] == ["app-cred", "made-in-ui"]
    assert drift_json(applied, catalog)["unmanaged_ignored"] is False


def test_ignore_unmanaged_still_exits_2_on_managed_drift(applied: str, catalog: Path) -> None:
    insert_app_model(applied, "made-in-ui")
    edit_model(applied, "a", context_window=4096)
    code, output = drift(applied, catalog, "--ignore-unmanaged")
    assert code == 2, output
    assert "Edited in the registry since the last apply (outside the catalog): 1\n" in output
    assert "  ? model made-in-ui\n" in output
    document = drift_json(applied, catalog, "--ignore-unmanaged")
    assert document["drift"] is True
    assert document["edited_in_registry"] == ["model a"]


def test_ignore_unmanaged_without_unmanaged_rows(applied: str, catalog: Path) -> None:
    code, output = drift(applied, catalog, "--ignore-unmanaged")
    assert code == 0
    assert output == "No drift: the registry matches the catalog and holds no unmanaged rows.\n"


def test_a_boolean_stored_as_text_is_drift_and_shows_the_stored_form(
    applied: str, catalog: Path
) -> None:
    """Issue 10: an application that stores the text 'false' in a boolean column (SQLite
    keeps it) read as true, so drift said "no drift" and apply never repaired it."""
    execute(applied, "UPDATE models SET enabled = 'false' WHERE slug = 'a'")
    code, output = drift(applied, catalog)
    assert code == 2, output
    # SQLite holds the text, PostgreSQL made it a boolean: each is shown as stored
    stored = '"false"' if applied.startswith("sqlite") else "false"
    assert f"    enabled: {stored} -> true\n" in output
    assert "  model a: enabled\n" in output  # edited in the registry
    result = cli(["apply", "--catalog", str(catalog), "--db", applied, "--auto-approve"])
    assert result.exit_code == 0, result.output
    code, output = drift(applied, catalog)
    assert code == 0, output  # apply repaired it


def test_the_last_apply_is_read_with_the_live_state_on_one_connection(
    applied: str, catalog: Path, tmp_path: Path
) -> None:
    # a second apply, of another catalog: drift compares with the newest run's digest
    changed = write_catalog(
        tmp_path / "changed", [model_doc("a", **COSTS), model_doc("b", context_window=2000)]
    )
    again = cli(["apply", "--catalog", str(changed), "--db", applied, "--auto-approve"])
    assert again.exit_code == 0, again.output
    edit_model(applied, "a", display_name="Renamed in the application")
    opened: list[object] = []

    def count(dbapi_connection: object, _record: object) -> None:
        opened.append(dbapi_connection)

    sa.event.listen(sa.pool.Pool, "connect", count)
    try:
        code, output = drift(applied, changed)
    finally:
        sa.event.remove(sa.pool.Pool, "connect", count)
    assert code == 2, output
    assert "The catalog is unchanged since the last apply." in output
    assert "Edited in the registry since the last apply (outside the catalog): 1\n" in output
    assert len(opened) == 1  # the schema check, the live state and the last apply together
    code, output = drift(applied, catalog)  # the first apply's catalog is not the last one
    assert code == 2, output
    assert "The catalog changed since the last apply." in output
