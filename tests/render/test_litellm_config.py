"""The LiteLLM proxy config renderer: golden output for the example catalog, the variable
naming rule, and the cases it refuses. (The real proxy serving it: tests/providers/
test_litellm_proxy.py.)"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from plans import check_golden

from reconciler.catalog.environments import find_environments
from reconciler.errors import CatalogError
from reconciler.render.litellm_config import render_litellm_config, secret_variable
from reconciler.state.desired import DesiredState, load_desired
from reconciler.state.records import CredentialState, ModelState, SecretSpec, SettingsState

EXAMPLE = Path(__file__).resolve().parents[2] / "catalog"


def test_example_catalog_golden() -> None:
    check_golden("litellm-config.yaml", render_litellm_config(load_desired(EXAMPLE)).text())


@pytest.mark.parametrize("environment", find_environments(EXAMPLE).names)
def test_example_environment_goldens(environment: str) -> None:
    text = render_litellm_config(load_desired(EXAMPLE, environment)).text()
    check_golden(f"litellm-config-{environment}.yaml", text)


def test_rendering_is_deterministic_and_parses() -> None:
    desired = load_desired(EXAMPLE)
    first = render_litellm_config(desired).text()
    assert render_litellm_config(load_desired(EXAMPLE)).text() == first
    # the order the catalog's files were read in does not show
    shuffled = dataclasses.replace(
        desired,
        models=dict(reversed(desired.models.items())),
        credentials=dict(reversed(desired.credentials.items())),
    )
    assert render_litellm_config(shuffled).text() == first
    doc = yaml.safe_load(first)
    assert list(doc) == ["model_list", "credential_list", "router_settings", "general_settings"]
    names = [m["model_name"] for m in doc["model_list"]]
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("credential", "field", "variable"),
    [
        ("prod-anthropic", "api_key", "LITELLM_CRED_PROD_ANTHROPIC_API_KEY"),
        ("aws.prod_1", "secret_access_key", "LITELLM_CRED_AWS_PROD_1_SECRET_ACCESS_KEY"),
        ("x", "access_key_id", "LITELLM_CRED_X_ACCESS_KEY_ID"),
    ],
)
def test_secret_variable(credential: str, field: str, variable: str) -> None:
    assert secret_variable(credential, field) == variable


SOPS = {"sops": {"file": "secrets/prod.enc.yaml", "key": "openai"}}
AWS = {"aws_secretsmanager": {"secret_id": "prod/bedrock", "json_key": "secret"}}


def cred(name: str, provider: str = "openai", **secrets: Any) -> CredentialState:
    return CredentialState(
        name=name,
        provider=provider,
        secrets={k: SecretSpec(v) for k, v in (secrets or {"api_key": SOPS}).items()},
    )


def model(slug: str, credential: str | None, **values: Any) -> ModelState:
    base: dict[str, Any] = {
        "display_name": slug,
        "deployment": "custom",
        "provider": "openai",
        "model_id": "gpt-4o",
        "credential": credential,
        "context_window": 1000,
        "enabled": True,
    }
    return ModelState(slug, base | values, tuple(values.pop("previous", ())))


def state(*creds: CredentialState, models: list[ModelState], **settings: Any) -> DesiredState:
    return DesiredState(
        credentials={c.name: c for c in creds},
        models={m.slug: m for m in models},
        settings=SettingsState(**settings) if settings else None,
    )


def test_secret_references_become_environment_references() -> None:
    bedrock = cred(
        "aws",
        "bedrock",
        access_key_id={"env": "AWS_KEY_FOR_PROXY"},
        secret_access_key=AWS,
    )
    bedrock = dataclasses.replace(bedrock, config={"region": "eu-west-1"})
    desired = state(
        cred("a"),
        bedrock,
        models=[model("m1", "a"), model("m2", "aws", provider="bedrock", model_id="x.y-v1:0")],
    )
    rendered = render_litellm_config(desired)
    values = {
        c["credential_name"]: c["credential_values"] for c in rendered.document["credential_list"]
    }
    assert values == {
        "a": {"api_key": "os.environ/LITELLM_CRED_A_API_KEY"},
        "aws": {
            "aws_access_key_id": "os.environ/AWS_KEY_FOR_PROXY",
            "aws_secret_access_key": "os.environ/LITELLM_CRED_AWS_SECRET_ACCESS_KEY",
            "aws_region_name": "eu-west-1",
        },
    }
    m2 = rendered.document["model_list"][1]["litellm_params"]
    assert m2 == {
        "model": "bedrock/x.y-v1:0",
        "litellm_credential_name": "aws",
        "aws_region_name": "eu-west-1",
    }
    assert [(b.variable, b.credential, b.field) for b in rendered.bindings] == [
        ("LITELLM_CRED_A_API_KEY", "a", "api_key"),
        ("AWS_KEY_FOR_PROXY", "aws", "access_key_id"),
        ("LITELLM_CRED_AWS_SECRET_ACCESS_KEY", "aws", "secret_access_key"),
    ]


def test_disabled_models_and_their_only_credentials_are_left_out() -> None:
    desired = state(
        cred("a"),
        cred("b"),
        models=[model("on", "a"), model("off", "b", enabled=False, previous=("old-off",))],
    )
    doc = render_litellm_config(desired).document
    assert [m["model_name"] for m in doc["model_list"]] == ["on"]
    assert [c["credential_name"] for c in doc["credential_list"]] == ["a"]
    assert "router_settings" not in doc


def test_model_without_credential_uses_litellms_own_environment_variables() -> None:
    doc = render_litellm_config(state(models=[model("m", None)])).document
    assert doc["model_list"][0]["litellm_params"] == {"model": "openai/gpt-4o"}
    assert doc["credential_list"] == []


def test_openai_compatible_without_key_gets_a_placeholder_not_openai_api_key() -> None:
    local = CredentialState("local", "openai_compatible", config={"base_url": "http://h:8000/v1"})
    doc = render_litellm_config(
        state(local, models=[model("q", "local", provider="openai_compatible", model_id="q")])
    ).document
    assert doc["credential_list"][0]["credential_values"] == {
        "api_base": "http://h:8000/v1",
        "api_key": "no-key",
    }
    assert doc["model_list"][0]["litellm_params"]["api_base"] == "http://h:8000/v1"


def test_platform_models_use_the_platform_credential_and_aliases() -> None:
    desired = state(
        cred("or", "openrouter"),
        models=[
            model("g", None, deployment="platform", provider="x-ai", model_id="x-ai/grok-4"),
            model("n", None, deployment="platform", model_id="openai/gpt-5", previous=("o2", "o1")),
        ],
        default_model="g",
        platform_credential="or",
    )
    doc = render_litellm_config(desired).document
    params = [m["litellm_params"] for m in doc["model_list"]]
    assert params == [
        {"model": "openrouter/x-ai/grok-4", "litellm_credential_name": "or"},
        {"model": "openrouter/openai/gpt-5", "litellm_credential_name": "or"},
    ]
    assert doc["router_settings"]["model_group_alias"] == {
        "default": {"model": "g", "hidden": True},
        "o1": {"model": "n", "hidden": True},
        "o2": {"model": "n", "hidden": True},
    }


@pytest.mark.parametrize(
    ("creds", "message"),
    [
        # two credential names that normalise to one variable
        ((cred("prod-a"), cred("prod.a", api_key=AWS)), "would both reach the LiteLLM proxy as"),
        # an env reference that takes another credential's generated variable
        (
            (cred("a"), cred("b", api_key={"env": "LITELLM_CRED_A_API_KEY"})),
            "LITELLM_CRED_A_API_KEY",
        ),
        ((cred("a", api_key={"env": "LITELLM_MASTER_KEY"}),), "reserves LITELLM_MASTER_KEY"),
    ],
)
def test_variable_collisions_are_errors(creds: tuple[CredentialState, ...], message: str) -> None:
    models = [model(f"m{i}", c.name) for i, c in enumerate(creds)]
    with pytest.raises(CatalogError, match=message):
        render_litellm_config(state(*creds, models=models))


def test_one_env_variable_shared_by_two_credentials_is_fine() -> None:
    shared = {"env": "OPENAI_API_KEY"}
    desired = state(
        cred("a", api_key=shared),
        cred("b", api_key=shared),
        models=[model("x", "a"), model("y", "b")],
    )
    assert len(render_litellm_config(desired).bindings) == 2


def test_a_model_named_default_clashes_with_the_default_alias() -> None:
    desired = state(cred("a"), models=[model("default", "a"), model("m", "a")], default_model="m")
    with pytest.raises(CatalogError, match="clashes with the LiteLLM alias 'default'"):
        render_litellm_config(desired)


def test_a_previous_slug_default_clashes_with_the_default_alias() -> None:
    models = [model("m", "a"), model("n", "a", previous=("default",))]
    with pytest.raises(CatalogError, match="model n: its previous slug 'default' clashes"):
        render_litellm_config(state(cred("a"), models=models, default_model="m"))
    # without a default model, the old name is an alias like any other
    doc = render_litellm_config(state(cred("a"), models=models)).document
    assert doc["router_settings"]["model_group_alias"] == {
        "default": {"model": "n", "hidden": True}
    }


def test_the_readme_example_is_what_the_example_catalog_renders() -> None:
    readme = (EXAMPLE.parent / "README.md").read_text()
    section = readme.split("## LiteLLM proxy", 1)[1]
    example = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    doc = render_litellm_config(load_desired(EXAMPLE)).document
    [model] = [m for m in doc["model_list"] if m["model_name"] == "claude-sonnet-4"]
    [cred] = [c for c in doc["credential_list"] if c["credential_name"] == "prod-anthropic"]
    assert example["model_list"] == [model]
    assert example["credential_list"] == [cred]
    assert example["router_settings"] == doc["router_settings"]
    assert example["general_settings"] == doc["general_settings"]
