"""reconciler models: the slug other commands take, and what each row's Credential column says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import (
    cli,
    insert_app_credential,
    insert_app_model,
    model_doc,
    scalar,
    write_catalog,
)


@pytest.fixture(autouse=True)
def _no_fallback_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def models_json(url: str) -> dict[str, dict[str, Any]]:
    result = cli(["models", "--db", url, "--format", "json"])
    assert result.exit_code == 0, result.output
    return {row["slug"]: row for row in json.loads(result.output)}


def table_line(url: str, slug: str) -> str:
    result = cli(["models", "--db", url])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if f" {slug} " in line]
    assert len(lines) == 1, result.output
    return lines[0]


def test_table_and_json_show_the_slug(registry_url: str) -> None:
    insert_app_model(registry_url, "team-gpt", display_name="Team GPT")
    assert models_json(registry_url)["team-gpt"]["display_name"] == "Team GPT"
    line = table_line(registry_url, "team-gpt")
    assert line.index("team-gpt") < line.index("Team GPT")


def test_inactive_row_without_credential_shows_a_dash(registry_url: str) -> None:
    insert_app_model(registry_url, "gone", active=False)
    insert_app_model(registry_url, "live")
    assert "env fallback" not in table_line(registry_url, "gone")
    assert " - " in table_line(registry_url, "gone")
    assert "env fallback" in table_line(registry_url, "live")


def test_inactive_row_shows_the_credential_it_had(registry_url: str) -> None:
    insert_app_credential(registry_url, "old-key")
    cred_id = scalar(registry_url, "SELECT id FROM credentials WHERE name = 'old-key'")
    insert_app_model(registry_url, "retired", active=False, credential_id=cred_id)
    row = models_json(registry_url)["retired"]
    assert row["credential"] == "old-key"
    assert row["status"] == "inactive"
    line = table_line(registry_url, "retired")
    assert "old-key" in line
    assert "env fallback" not in line


def test_unknown_slug_hint_points_at_a_command_that_lists_slugs(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog", [model_doc("m1")])
    result = cli(["test-connection", "nosuch", "--catalog", str(catalog)])
    assert result.exit_code == 1, result.output
    assert "'reconciler models'" in result.output
    assert "reconciler validate" not in result.output
