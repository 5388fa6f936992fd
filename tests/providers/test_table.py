"""The provider table agrees with the catalog's schema types, and its one routing rule."""

from __future__ import annotations

import typing

import pytest

from reconciler.catalog import spec
from reconciler.providers.resolved import env_fallback
from reconciler.providers.table import (
    PLAIN_CONFIG_FIELDS,
    PROVIDERS,
    SECRET_FIELDS,
    ModelRoute,
    key_missing,
    model_route,
)


def _literal(annotation: object) -> set[str]:
    return set(typing.get_args(annotation))


def test_the_schema_types_name_the_table_providers() -> None:
    credential_models = (
        spec.ApiKeyCredential,
        spec.BedrockCredential,
        spec.HuggingFaceCredential,
        spec.OpenAICompatibleCredential,
    )
    named = set().union(
        *(_literal(m.model_fields["provider"].annotation) for m in credential_models)
    )
    assert named == set(PROVIDERS)
    for model in credential_models:
        for provider in _literal(model.model_fields["provider"].annotation):
            record = PROVIDERS[provider]
            fields = set(model.model_fields) - {"kind", "name", "display_name", "description"}
            assert fields - {"provider"} == {*record.secret_fields, *record.config_fields}


def test_field_lists_cover_the_records() -> None:
    assert set(SECRET_FIELDS) == {f for p in PROVIDERS.values() for f in p.secret_fields}
    assert set(PLAIN_CONFIG_FIELDS) == {f for p in PROVIDERS.values() for f in p.config_fields}
    for record in PROVIDERS.values():
        assert set(record.export_secrets) <= set(record.secret_fields)
        assert set(record.route.secrets) <= set(record.secret_fields)
        assert set(record.route.config) <= set(record.config_fields)


@pytest.mark.parametrize(
    ("deployment", "provider", "credential", "platform", "expected"),
    [
        ("platform", "anthropic", None, "plat", ModelRoute("openrouter", "plat", True)),
        ("platform", "x-ai", "own", None, ModelRoute("openrouter", None, True)),
        ("custom", "anthropic", "own", "plat", ModelRoute("anthropic", "own", False)),
        ("custom", "bedrock", None, "plat", ModelRoute("bedrock", None, False)),
    ],
)
def test_model_route(
    deployment: str,
    provider: str,
    credential: str | None,
    platform: str | None,
    expected: ModelRoute[str],
) -> None:
    assert model_route(deployment, provider, credential, platform) == expected


@pytest.mark.parametrize(
    ("provider", "env", "source", "secrets", "config"),
    [
        ("openai", {}, "none", {}, {}),
        ("google", {"GOOGLE_API_KEY": "g2"}, "env:GOOGLE_API_KEY", {"api_key": "g2"}, {}),
        (
            "google",
            {"GEMINI_API_KEY": "g1", "GOOGLE_API_KEY": "g2"},
            "env:GEMINI_API_KEY",
            {"api_key": "g1"},
            {},
        ),
        (
            "bedrock",
            {"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "r"},
            "env:AWS_ACCESS_KEY_ID",
            {"access_key_id": "AKIA", "secret_access_key": "s"},
            {"region": "r"},
        ),
        ("bedrock", {"AWS_REGION": "r1", "AWS_DEFAULT_REGION": "r2"}, "none", {}, {"region": "r1"}),
        ("openai_compatible", {"OPENAI_API_KEY": "k"}, "none", {}, {}),
        ("mistral", {"MISTRAL_API_KEY": "k"}, "none", {}, {}),
    ],
)
def test_env_fallback(
    provider: str,
    env: dict[str, str],
    source: str,
    secrets: dict[str, str],
    config: dict[str, str],
) -> None:
    got_source, got_secrets, got_config = env_fallback(provider, env)
    assert got_source == source
    assert {k: v.reveal() for k, v in got_secrets.items()} == secrets
    assert got_config == config
    assert key_missing(provider, None, env) is (source == "none")
    assert not key_missing(provider, "a-credential", env)
