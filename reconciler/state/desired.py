"""Desired state: the validated catalog, in registry shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.catalog import spec
from reconciler.catalog.load import Catalog, CredentialSpec, model_slug
from reconciler.state.records import CredentialState, ModelState, SecretSpec, SettingsState


@dataclass
class DesiredState:
    credentials: dict[str, CredentialState] = field(default_factory=dict)
    models: dict[str, ModelState] = field(default_factory=dict)
    settings: SettingsState | None = None
    catalog_digest: str = ""


def secret_ref_dict(ref: spec.EnvRef | spec.SopsRef | spec.AwsRef) -> dict[str, Any]:
    return ref.model_dump(exclude_none=True)


def credential_state(cred: CredentialSpec) -> CredentialState:
    config = {
        name: value
        for name in spec.PLAIN_CONFIG_FIELDS
        if isinstance(value := getattr(cred, name, None), str)
    }
    secrets = {
        name: SecretSpec(secret_ref_dict(ref))
        for name in spec.SECRET_FIELDS
        if (ref := getattr(cred, name, None)) is not None
    }
    return CredentialState(
        name=cred.name,
        provider=cred.provider,
        display_name=cred.display_name,
        description=cred.description,
        config=config,
        secrets=secrets,
    )


def model_state(model: spec.ModelSpec) -> ModelState:
    caps, cost = model.capabilities, model.cost
    reasoning = caps.reasoning
    parameter = (
        reasoning.parameter
        if isinstance(reasoning, spec.Reasoning) and (reasoning.enabled)
        else None
    )
    values: dict[str, Any] = {
        "display_name": model.display_name,
        "description": model.description,
        "deployment": model.deployment,
        "provider": model.provider,
        "model_id": model.model_id,
        "credential": model.credential,
        "category": model.category,
        "release_date": model.release_date,
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        "capabilities.json_mode": caps.json_mode,
        "capabilities.vision": caps.vision,
        "capabilities.tool_use": caps.tool_use,
        "capabilities.reasoning": parameter,
        "cost.input_per_token": None
        if cost.input_per_token is None
        else float(cost.input_per_token),
        "cost.output_per_token": None
        if cost.output_per_token is None
        else float(cost.output_per_token),
        "enabled": model.enabled,
    }
    return ModelState(model_slug(model), values, tuple(model.previous_slugs))


def desired_state(catalog: Catalog) -> DesiredState:
    """The desired state of a catalog that validated without errors."""
    settings = None
    if catalog.settings:
        s = catalog.settings[0].spec
        settings = SettingsState(s.default_model, s.platform_credential)
    return DesiredState(
        credentials={c.spec.name: credential_state(c.spec) for c in catalog.credentials},
        models={m.slug: m for m in (model_state(e.spec) for e in catalog.models)},
        settings=settings,
        catalog_digest=catalog.digest,
    )
