"""A catalog change that leaves models without the credential their key came from, while the
credential stays (a model's `credential:` line dropped, the settings' platform_credential
dropped), is warned about like a deleted credential's models: on the change, in every format,
and counted by the secrets row of the status table. Real catalogs, real registries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_helpers import CANARY, EXAMPLE_SECRETS, cli, credential_doc, model_doc, secret_env
from engine_helpers import write_catalog as write_catalog_files

PLATFORM = model_doc("p", deployment="platform", provider="openai", model_id="openai/gpt-x")
ENV_KEY = model_doc("e")  # served by OPENAI_API_KEY
ROUTER = credential_doc("router", provider="openrouter")


def write_catalog(
    root: Path,
    models: list[dict[str, Any]],
    credentials: list[dict[str, Any]],
    platform_credential: str | None = None,
) -> Path:
    write_catalog_files(root, models, credentials)
    settings = {"kind": "Settings", "default_model": models[0]["slug"]}
    if platform_credential is not None:
        settings["platform_credential"] = platform_credential
    (root / "settings.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return root


@pytest.fixture
def env() -> dict[str, Any]:
    return secret_env()


@pytest.fixture
def root(registry_url: str, tmp_path: Path, env: dict[str, Any]) -> Path:
    root = write_catalog(
        tmp_path / "catalog",
        [model_doc("a", credential="c1"), model_doc("b", credential="c2"), PLATFORM, ENV_KEY],
        [credential_doc("c1"), credential_doc("c2"), ROUTER],
        platform_credential="router",
    )
    result = cli(["apply", "--catalog", str(root), "--db", registry_url, "--auto-approve"], env)
    assert result.exit_code == 0, result.output
    return root


def plan(url: str, root: Path, env: dict[str, Any], *extra: str) -> Any:
    result = cli(["plan", "--catalog", str(root), "--db", url, *extra], env)
    assert result.exit_code == 0, result.output
    for value in [CANARY, *EXAMPLE_SECRETS.values()]:
        assert value not in result.output
    return result


def warnings(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    [change] = [c for c in data["changes"] if c["key"] == key]
    return list(change["warnings"])


def secrets_check(data: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in data["checks"] if c["check"] == "secrets")


def test_a_model_dropping_a_credential_that_stays_is_warned_in_every_format(
    registry_url: str, root: Path, env: dict[str, Any]
) -> None:
    write_catalog(
        root,
        [model_doc("a"), model_doc("b", credential="c2"), PLATFORM, ENV_KEY],
        [credential_doc("c1"), credential_doc("c2"), ROUTER],
        platform_credential="router",
    )
    data = json.loads(plan(registry_url, root, env, "--format", "json").output)
    assert [(c["action"], c["key"]) for c in data["changes"]] == [("update", "a")]
    [warning] = warnings(data, "a")
    assert (warning["kind"], warning["subject"]) == ("drops-credential", "model a")
    assert warning["data"] == {
        "credential": "c1",
        "models": ["a"],
        "variables": ["OPENAI_API_KEY"],
        "platform": False,
    }
    assert (secrets_check(data)["status"], secrets_check(data)["changes"]) == ("warn", ["a"])

    sentence = "no longer uses credential c1: at runtime it reads the provider's key"
    assert warning["message"].startswith(sentence)
    text = plan(registry_url, root, env).output
    assert f"    ! {sentence}" in text
    assert "  ! secrets: 1 model will read its provider's key from the application's " in text
    markdown = plan(registry_url, root, env, "--format", "markdown").output
    assert "⚠️ no longer uses credential `c1`: at runtime it reads" in markdown
    assert "| ⚠️ | secrets | 1 model will read its provider's key" in markdown


def test_a_model_dropping_a_deleted_credential_is_said_once_by_the_delete(
    registry_url: str, root: Path, env: dict[str, Any]
) -> None:
    write_catalog(
        root,
        [model_doc("a"), model_doc("b", credential="c2"), PLATFORM, ENV_KEY],
        [credential_doc("c2"), ROUTER],
        platform_credential="router",
    )
    data = json.loads(plan(registry_url, root, env, "--format", "json").output)
    assert [(c["action"], c["key"]) for c in data["changes"]] == [
        ("update", "a"),
        ("delete", "c1"),
    ]
    assert warnings(data, "a") == []
    assert [w["kind"] for w in warnings(data, "c1")] == ["falls-back-to-environment"]
    assert secrets_check(data)["changes"] == ["c1"]


def test_dropping_the_platform_credential_warns_on_the_settings(
    registry_url: str, root: Path, env: dict[str, Any]
) -> None:
    write_catalog(
        root,
        [model_doc("a", credential="c1"), model_doc("b", credential="c2"), PLATFORM, ENV_KEY],
        [credential_doc("c1"), credential_doc("c2"), ROUTER],
    )
    data = json.loads(plan(registry_url, root, env, "--format", "json").output)
    assert [(c["kind"], c["key"]) for c in data["changes"]] == [("settings", "settings")]
    [warning] = warnings(data, "settings")
    assert warning["kind"] == "drops-credential"
    assert warning["data"] == {
        "credential": "router",
        "models": ["p"],
        "variables": ["OPENROUTER_API_KEY"],
        "platform": True,
    }
    assert secrets_check(data)["status"] == "warn"
    text = plan(registry_url, root, env).output
    assert "    ! platform_credential router is dropped: 1 platform model that used it" in text


def test_gaining_or_switching_a_credential_is_not_warned(
    registry_url: str, root: Path, env: dict[str, Any]
) -> None:
    gains = model_doc("e", credential="c1")
    write_catalog(
        root,
        [model_doc("a", credential="c2"), model_doc("b", credential="c2"), PLATFORM, gains],
        [credential_doc("c1"), credential_doc("c2"), ROUTER],
        platform_credential="router",
    )
    data = json.loads(plan(registry_url, root, env, "--format", "json").output)
    assert [(c["key"], c["warnings"]) for c in data["changes"]] == [("a", []), ("e", [])]
    assert secrets_check(data)["status"] == "ok"
