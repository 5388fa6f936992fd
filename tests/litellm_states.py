"""Small desired states for the LiteLLM config's tests (tests/litellm/test_config.py builds
them, tests/render/test_litellm_config.py words their clashes)."""

from __future__ import annotations

from typing import Any

from reconciler.state.desired import DesiredState
from reconciler.state.records import CredentialState, ModelState, SecretSpec, SettingsState

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
