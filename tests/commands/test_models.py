"""reconciler models: the slug other commands take, filters, grouping by category, the status
column, and what each row's Credential column (and the JSON's credential_source) says."""

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

from reconciler.providers.table import PROVIDERS

TITLES = ("Premium", "Standard", "Budget", "Uncategorized")


@pytest.fixture(autouse=True)
def _no_fallback_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No provider key in the environment (the output must not depend on it either)."""
    for names in (p.fallback_env for p in PROVIDERS.values()):
        for name in names:
            monkeypatch.delenv(name, raising=False)


def models_json(url: str) -> dict[str, dict[str, Any]]:
    result = cli(["models", "--db", url, "--format", "json"])
    assert result.exit_code == 0, result.output
    return {row["slug"]: row for row in json.loads(result.output)}


def table(url: str, *options: str) -> str:
    result = cli(["models", "--db", url, *options])
    assert result.exit_code == 0, result.output
    return result.output


def table_line(url: str, slug: str) -> str:
    output = table(url)
    lines = [line for line in output.splitlines() if line.startswith(f"│ {slug} ")]
    assert len(lines) == 1, output
    return lines[0]


def table_slugs(output: str) -> list[str]:
    """The slugs in the table, top to bottom (the first cell of each model's first line)."""
    cells = [line.split("│")[1].strip() for line in output.splitlines() if line.startswith("│")]
    return [cell for cell in cells if cell]


def groups(output: str) -> dict[str, list[str]]:
    """The slugs under each category title, in the order the titles appear."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in output.splitlines():
        if line.strip() in TITLES:
            current = found.setdefault(line.strip(), [])
        elif line.startswith("│") and (slug := line.split("│")[1].strip()):
            current.append(slug)
    return found


def insert_mixed(url: str) -> None:
    """Two providers across every category; slugs sort differently from the categories."""
    insert_app_model(url, "a-budget", category="budget", provider="anthropic")
    insert_app_model(url, "b-plain")
    insert_app_model(url, "c-premium", category="premium")
    insert_app_model(url, "d-standard", category="standard", provider="anthropic")
    insert_app_model(url, "e-premium", category="premium", provider="anthropic")


def test_table_and_json_show_the_slug(registry_url: str) -> None:
    insert_app_model(registry_url, "team-gpt", display_name="Team GPT")
    assert models_json(registry_url)["team-gpt"]["display_name"] == "Team GPT"
    line = table_line(registry_url, "team-gpt")
    assert line.index("team-gpt") < line.index("Team GPT")


def test_inactive_row_without_credential_shows_a_dash(registry_url: str) -> None:
    insert_app_model(registry_url, "gone", active=False)
    insert_app_model(registry_url, "live")
    assert "env " not in table_line(registry_url, "gone")
    assert " - " in table_line(registry_url, "gone")
    assert "env OPENAI_API_KEY" in table_line(registry_url, "live")


def test_inactive_row_shows_the_credential_it_had(registry_url: str) -> None:
    insert_app_credential(registry_url, "old-key")
    cred_id = scalar(registry_url, "SELECT id FROM credentials WHERE name = 'old-key'")
    insert_app_model(registry_url, "retired", active=False, credential_id=cred_id)
    row = models_json(registry_url)["retired"]
    assert row["credential"] == "old-key"
    assert row["status"] == "inactive"
    line = table_line(registry_url, "retired")
    assert "old-key" in line
    assert "env " not in line


def test_unknown_slug_hint_points_at_a_command_that_lists_slugs(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog", [model_doc("m1")])
    result = cli(["test-connection", "nosuch", "--catalog", str(catalog)])
    assert result.exit_code == 1, result.output
    assert "'reconciler models'" in result.output
    assert "reconciler validate" not in result.output


def test_provider_and_category_filters(registry_url: str) -> None:
    insert_mixed(registry_url)
    assert list(models_json(registry_url)) == [
        "a-budget",
        "b-plain",
        "c-premium",
        "d-standard",
        "e-premium",
    ]
    by_provider = cli(
        ["models", "--db", registry_url, "--provider", "anthropic", "--format", "json"]
    )
    assert [r["slug"] for r in json.loads(by_provider.output)] == [
        "a-budget",
        "d-standard",
        "e-premium",
    ]
    by_category = cli(["models", "--db", registry_url, "--category", "premium", "--format", "json"])
    assert [r["slug"] for r in json.loads(by_category.output)] == ["c-premium", "e-premium"]
    both = ["--provider", "anthropic", "--category", "premium"]
    assert table_slugs(table(registry_url, *both)) == ["e-premium"]
    assert table_slugs(table(registry_url, "--provider", "openai")) == ["c-premium", "b-plain"]


def test_filters_that_match_nothing(registry_url: str) -> None:
    insert_mixed(registry_url)
    assert table(registry_url, "--provider", "google") == "No models match.\n"
    result = cli(["models", "--db", registry_url, "--category", "budget", "--provider", "openai"])
    assert result.output == "No models match.\n"
    empty = cli(["models", "--db", registry_url, "--provider", "google", "--format", "json"])
    assert empty.exit_code == 0
    assert json.loads(empty.output) == []


def test_table_groups_by_category_in_tier_order(registry_url: str) -> None:
    insert_mixed(registry_url)
    output = table(registry_url)
    assert groups(output) == {
        "Premium": ["c-premium", "e-premium"],
        "Standard": ["d-standard"],
        "Budget": ["a-budget"],
        "Uncategorized": ["b-plain"],
    }
    assert list(groups(output)) == list(TITLES)  # tiers in order, not alphabetical
    # a category with no model has no table
    assert list(groups(table(registry_url, "--provider", "anthropic"))) == [
        "Premium",
        "Standard",
        "Budget",
    ]


def test_status_column(registry_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    insert_app_model(registry_url, "on", enabled=True)
    insert_app_model(registry_url, "off", enabled=False)
    insert_app_model(registry_url, "gone", enabled=True, active=False)
    rows = models_json(registry_url)
    assert {slug: row["status"] for slug, row in rows.items()} == {
        "gone": "inactive",
        "off": "disabled",
        "on": "enabled",
    }
    # only an enabled model is called: it has no credential, so the application's environment
    # supplies its key (the registry says which variables); disabled and inactive rows are not
    assert {slug: row["fallback_env"] for slug, row in rows.items()} == {
        "gone": [],
        "off": [],
        "on": ["OPENAI_API_KEY"],
    }
    assert not any(row["key_missing"] for row in rows.values())  # openai reads a variable
    assert table_line(registry_url, "on").split("│")[-2].strip() == "enabled"
    assert table_line(registry_url, "off").split("│")[-2].strip() == "disabled"
    assert table_line(registry_url, "gone").split("│")[-2].strip() == "inactive"
    output = table(registry_url)
    assert "1 enabled model(s) have no credential in the registry" in output
    assert "(no key!)" not in output

    # the operator's shell is not the application's environment: it changes nothing
    monkeypatch.setenv("OPENAI_API_KEY", "set-for-the-test")
    assert table(registry_url) == output
    assert models_json(registry_url) == rows


def test_no_key_is_what_the_registry_says(registry_url: str) -> None:
    # openai_compatible reads no variable: without a credential no key can reach it
    insert_app_model(registry_url, "nokey", provider="openai_compatible")
    rows = models_json(registry_url)
    assert (rows["nokey"]["key_missing"], rows["nokey"]["fallback_env"]) == (True, [])
    assert table_line(registry_url, "nokey").split("│")[-2].strip() == "enabled (no key!)"


def test_json_rows(registry_url: str) -> None:
    insert_app_credential(registry_url, "team-key")
    cred_id = scalar(registry_url, "SELECT id FROM credentials WHERE name = 'team-key'")
    insert_app_model(
        registry_url,
        "own",
        credential_id=cred_id,
        category="standard",
        max_output_tokens=2048,
        display_name="Own Key",
    )
    insert_app_model(
        registry_url, "plat", deployment="platform", model_id="openai/gpt-x", provider="openai"
    )
    insert_app_model(registry_url, "env")
    insert_app_model(registry_url, "old", active=False)
    rows = models_json(registry_url)
    assert rows["own"] == {
        "slug": "own",
        "display_name": "Own Key",
        "model_id": "app-own",
        "provider": "openai",
        "deployment": "custom",
        "category": "standard",
        "context_window": 4096,
        "max_output_tokens": 2048,
        "credential": "team-key",
        "credential_source": "credential",
        "status": "enabled",
        "managed": False,
        "key_missing": False,
        "fallback_env": [],
    }
    # "credential" is the row's own credential: null unless it has one; where the key comes
    # from instead is credential_source, as the table's Credential column says
    sources = {slug: (row["credential"], row["credential_source"]) for slug, row in rows.items()}
    assert sources == {
        "env": (None, "env_fallback"),
        "old": (None, None),
        "own": ("team-key", "credential"),
        "plat": (None, "platform"),
    }
    labels = {slug: table_line(registry_url, slug).split("│")[6].strip() for slug in rows}
    # without a credential: the variables the application reads (OpenRouter's for "plat",
    # as the registry has no platform credential)
    assert labels == {
        "env": "env OPENAI_API_KEY",
        "old": "-",
        "own": "team-key",
        "plat": "env OPENROUTER_API_KEY",
    }


def test_unknown_provider_is_an_error_with_the_closest(registry_url: str) -> None:
    insert_app_model(registry_url, "team-gpt")
    result = cli(["models", "--db", registry_url, "--provider", "opneai"])
    assert result.exit_code == 1, result.output
    providers = ", ".join(sorted(PROVIDERS))
    assert result.output == (
        f"error: unknown provider 'opneai'; the providers: {providers}; did you mean 'openai'?\n"
        "  hint: 'reconciler models' without --provider lists every model\n"
    )


def test_provider_only_the_registry_holds_filters_without_error(registry_url: str) -> None:
    """The application may write a provider the table does not know: it still filters."""
    insert_app_model(registry_url, "in-house", provider="in-house-gateway")
    insert_app_model(registry_url, "team-gpt")
    assert table_slugs(table(registry_url, "--provider", "in-house-gateway")) == ["in-house"]
    # a known provider without rows is an empty list, not an error
    assert "No models match." in table(registry_url, "--provider", "anthropic")
