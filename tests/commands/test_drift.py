"""``reconciler drift`` as a scheduled job runs it: exit codes, and which rows were edited in the
registry versus which catalog changes wait for an apply. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from engine_helpers import (
    CANARY,
    cli,
    credential_doc,
    execute,
    insert_app_model,
    model_doc,
    write_catalog,
)

from reconciler.db import tables as t
from reconciler.secrets.crypto import KEY_ENV, generate_key_text

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


def drift_json(url: str, catalog: Path) -> dict[str, Any]:
    code, output = drift(url, catalog, "--format", "json")
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
    # rows written before migration 0003 carry no digest
    execute(applied, sa.update(t.models).values(applied_digest=None))
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
    assert "does not match" in document["errors"][0]
