"""The LiteLLM config stage: the document a catalog becomes, the variable naming rule, and the
clashes it reports as typed records (their words and the YAML text:
tests/render/test_litellm_config.py; the real proxy serving it:
tests/providers/test_litellm_proxy.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from litellm_states import AWS, cred, model, state

from reconciler.litellm.config import (
    Clash,
    Clashes,
    ClashKind,
    LiteLLMConfig,
    SecretField,
    build_config,
    secret_variable,
)
from reconciler.state.desired import DesiredState, load_desired
from reconciler.state.records import CredentialState

EXAMPLE = Path(__file__).resolve().parents[2] / "catalog"


def built(desired: DesiredState) -> LiteLLMConfig:
    config = build_config(desired)
    assert isinstance(config, LiteLLMConfig), config
    return config


def document(desired: DesiredState) -> dict[str, Any]:
    return built(desired).document


def clashes(desired: DesiredState) -> tuple[Clash, ...]:
    found = build_config(desired)
    assert isinstance(found, Clashes), found
    return found.clashes


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


def test_the_document_is_in_order_and_independent_of_reading_order() -> None:
    desired = load_desired(EXAMPLE)
    first = document(desired)
    shuffled = dataclasses.replace(
        desired,
        models=dict(reversed(desired.models.items())),
        credentials=dict(reversed(desired.credentials.items())),
    )
    assert document(shuffled) == first
    assert list(first) == ["model_list", "credential_list", "router_settings", "general_settings"]
    names = [m["model_name"] for m in first["model_list"]]
    assert names == sorted(names)
    assert first["general_settings"] == {
        "master_key": "os.environ/LITELLM_MASTER_KEY",
        "store_model_in_db": False,
    }


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
    config = built(desired)
    values = {
        c["credential_name"]: c["credential_values"] for c in config.document["credential_list"]
    }
    assert values == {
        "a": {"api_key": "os.environ/LITELLM_CRED_A_API_KEY"},
        "aws": {
            "aws_access_key_id": "os.environ/AWS_KEY_FOR_PROXY",
            "aws_secret_access_key": "os.environ/LITELLM_CRED_AWS_SECRET_ACCESS_KEY",
            "aws_region_name": "eu-west-1",
        },
    }
    m2 = config.document["model_list"][1]["litellm_params"]
    assert m2 == {
        "model": "bedrock/x.y-v1:0",
        "litellm_credential_name": "aws",
        "aws_region_name": "eu-west-1",
    }
    assert [(b.variable, b.credential, b.field) for b in config.bindings] == [
        ("LITELLM_CRED_A_API_KEY", "a", "api_key"),
        ("AWS_KEY_FOR_PROXY", "aws", "access_key_id"),
        ("LITELLM_CRED_AWS_SECRET_ACCESS_KEY", "aws", "secret_access_key"),
    ]
    assert config.secret_references() == {
        "LITELLM_CRED_A_API_KEY": cred("a").secrets["api_key"].ref,
        "AWS_KEY_FOR_PROXY": {"env": "AWS_KEY_FOR_PROXY"},
        "LITELLM_CRED_AWS_SECRET_ACCESS_KEY": AWS,
    }


def test_disabled_models_and_their_only_credentials_are_left_out() -> None:
    desired = state(
        cred("a"),
        cred("b"),
        models=[model("on", "a"), model("off", "b", enabled=False, previous=("old-off",))],
    )
    doc = document(desired)
    assert [m["model_name"] for m in doc["model_list"]] == ["on"]
    assert [c["credential_name"] for c in doc["credential_list"]] == ["a"]
    assert "router_settings" not in doc


def test_model_without_credential_uses_litellms_own_environment_variables() -> None:
    doc = document(state(models=[model("m", None)]))
    assert doc["model_list"][0]["litellm_params"] == {"model": "openai/gpt-4o"}
    assert doc["credential_list"] == []


def test_openai_compatible_without_key_gets_a_placeholder_not_openai_api_key() -> None:
    local = CredentialState("local", "openai_compatible", config={"base_url": "http://h:8000/v1"})
    doc = document(
        state(local, models=[model("q", "local", provider="openai_compatible", model_id="q")])
    )
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
    doc = document(desired)
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
    ("creds", "expected"),
    [
        # two credential names that normalise to one variable
        (
            (cred("prod-a"), cred("prod.a", api_key=AWS)),
            Clash(
                ClashKind.SHARED_VARIABLE,
                "LITELLM_CRED_PROD_A_API_KEY",
                (SecretField("prod-a", "api_key"), SecretField("prod.a", "api_key")),
            ),
        ),
        # an env reference that takes another credential's generated variable
        (
            (cred("a"), cred("b", api_key={"env": "LITELLM_CRED_A_API_KEY"})),
            Clash(
                ClashKind.SHARED_VARIABLE,
                "LITELLM_CRED_A_API_KEY",
                (SecretField("a", "api_key"), SecretField("b", "api_key")),
            ),
        ),
        (
            (cred("a", api_key={"env": "LITELLM_MASTER_KEY"}),),
            Clash(
                ClashKind.RESERVED_VARIABLE,
                "LITELLM_MASTER_KEY",
                (SecretField("a", "api_key"),),
            ),
        ),
    ],
)
def test_variable_collisions_are_clashes(
    creds: tuple[CredentialState, ...], expected: Clash
) -> None:
    models = [model(f"m{i}", c.name) for i, c in enumerate(creds)]
    assert clashes(state(*creds, models=models)) == (expected,)


def test_every_clash_is_reported_variables_first() -> None:
    creds = (cred("a", api_key={"env": "LITELLM_MASTER_KEY"}), cred("b"))
    models = [model("default", "a"), model("m", "b", previous=("default",))]
    found = clashes(state(*creds, models=models, default_model="m"))
    assert [c.kind for c in found] == [
        ClashKind.RESERVED_VARIABLE,
        ClashKind.MODEL_NAMED_DEFAULT,
        ClashKind.PREVIOUS_SLUG_DEFAULT,
    ]


def test_one_env_variable_shared_by_two_credentials_is_fine() -> None:
    shared = {"env": "OPENAI_API_KEY"}
    desired = state(
        cred("a", api_key=shared),
        cred("b", api_key=shared),
        models=[model("x", "a"), model("y", "b")],
    )
    assert len(built(desired).bindings) == 2


def test_a_model_named_default_clashes_with_the_default_alias() -> None:
    desired = state(cred("a"), models=[model("default", "a"), model("m", "a")], default_model="m")
    assert clashes(desired) == (Clash(ClashKind.MODEL_NAMED_DEFAULT, model="default"),)
    # without a default model there is no alias to clash with
    alone = document(state(cred("a"), models=[model("default", "a")]))
    assert [m["model_name"] for m in alone["model_list"]] == ["default"]


def test_a_previous_slug_default_clashes_with_the_default_alias() -> None:
    models = [model("m", "a"), model("n", "a", previous=("default",))]
    found = clashes(state(cred("a"), models=models, default_model="m"))
    assert found == (Clash(ClashKind.PREVIOUS_SLUG_DEFAULT, model="n"),)
    # without a default model, the old name is an alias like any other
    doc = document(state(cred("a"), models=models))
    assert doc["router_settings"]["model_group_alias"] == {
        "default": {"model": "n", "hidden": True}
    }


def test_the_readme_example_is_what_the_example_catalog_renders() -> None:
    readme = (EXAMPLE.parent / "README.md").read_text()
    section = readme.split("## LiteLLM proxy", 1)[1]
    example = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    doc = document(load_desired(EXAMPLE))
    [entry] = [m for m in doc["model_list"] if m["model_name"] == "claude-sonnet-4"]
    [credential] = [c for c in doc["credential_list"] if c["credential_name"] == "prod-anthropic"]
    assert example["model_list"] == [entry]
    assert example["credential_list"] == [credential]
    assert example["router_settings"] == doc["router_settings"]
    assert example["general_settings"] == doc["general_settings"]
