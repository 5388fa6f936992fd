"""Which catalog models a connection test calls, and with what: each model's provider and
credential (from the provider table), its secrets read from their sources, or the reason it
cannot be tested without a call."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import CatalogError
from reconciler.plan.model import Action, Kind, Plan
from reconciler.providers.connection import ConnectionResult
from reconciler.providers.failures import NotTested, NotTestedKind, UnresolvedSecret
from reconciler.providers.resolved import ResolvedModel, env_fallback
from reconciler.providers.table import ModelRoute, fallback_env, model_route
from reconciler.secrets.resolve import describe_ref, resolve_values
from reconciler.secrets.values import SecretValue
from reconciler.state.desired import DesiredState
from reconciler.state.records import CredentialState, ModelState, SecretRefDict, ref_key


@dataclass
class Targets:
    """The models to call (``ready``), those failed without a call (``failed``), in the order
    they were ``selected``; ``unused_credentials``: changed credentials no enabled model uses
    (``--changed``)."""

    selected: list[str] = field(default_factory=list)
    ready: list[ResolvedModel] = field(default_factory=list)
    failed: list[ConnectionResult] = field(default_factory=list)
    unused_credentials: list[str] = field(default_factory=list)


def route_of(model: ModelState, platform_credential: str | None) -> ModelRoute[str]:
    """Which provider a catalog model calls, with which credential."""
    credential = model.get("credential")
    return model_route(
        model.get("deployment"),
        model.get("provider"),
        None if credential is None else str(credential),
        platform_credential,
    )


def _platform_credential(desired: DesiredState) -> str | None:
    return desired.settings.platform_credential if desired.settings else None


def select_slugs(desired: DesiredState, slugs: Sequence[str]) -> list[str]:
    """The named models (all must exist), or every enabled model."""
    if slugs:
        unknown = [s for s in slugs if s not in desired.models]
        if unknown:
            raise CatalogError(
                f"no model with slug {', '.join(repr(s) for s in unknown)} in the catalog",
                hint="slugs are the slug: fields of the catalog's model files; "
                "'reconciler models' lists the registry's",
            )
        return list(dict.fromkeys(slugs))
    return [slug for slug, model in desired.models.items() if model.get("enabled")]


def select_changed(
    desired: DesiredState,
    slugs: Sequence[str],
    changed_models: Collection[str],
    changed_credentials: Collection[str],
) -> tuple[list[str], list[str]]:
    """The selected models the plan creates or changes, or whose credential it does; and the
    changed credentials that no enabled model uses."""
    platform = _platform_credential(desired)
    chosen = []
    for slug in select_slugs(desired, slugs):
        cred = route_of(desired.models[slug], platform).credential
        if slug in changed_models or (cred is not None and cred in changed_credentials):
            chosen.append(slug)
    used = {route_of(m, platform).credential for m in desired.models.values() if m.get("enabled")}
    return chosen, sorted(set(changed_credentials) - {u for u in used if u is not None})


def _failure(model: ModelState, why: NotTested) -> ConnectionResult:
    return ConnectionResult(
        model.slug, str(model.get("provider")), str(model.get("model_id")), False, not_tested=why
    )


def _no_credential(provider: str, platform: bool) -> NotTested:
    wanted = tuple(fallback_env(provider))
    if platform:
        return NotTested(NotTestedKind.NO_PLATFORM_CREDENTIAL, provider, wanted)
    if wanted:
        return NotTested(NotTestedKind.NO_CREDENTIAL, provider, wanted)
    return NotTested(NotTestedKind.NEEDS_CREDENTIAL, provider)


def resolve_catalog_models(
    catalog_root: Path, desired: DesiredState, slugs: Sequence[str]
) -> Targets:
    """ResolvedModels for ``slugs`` with their secrets read from their sources; models whose
    credential cannot be resolved become failed results without a call."""
    platform_credential = _platform_credential(desired)
    uses = {slug: route_of(desired.models[slug], platform_credential) for slug in slugs}
    credentials: dict[str, CredentialState] = {
        name: desired.credentials[name]
        for name in sorted({u.credential for u in uses.values() if u.credential is not None})
        if name in desired.credentials
    }
    refs: dict[str, SecretRefDict] = {
        ref_key(s.ref): s.ref for c in credentials.values() for s in c.secrets.values()
    }
    resolved_refs = resolve_values(refs.values(), catalog_root)

    targets = Targets(list(slugs))
    for slug in slugs:
        model = desired.models[slug]
        use = uses[slug]
        name = use.credential
        secrets: dict[str, SecretValue] = {}
        config: dict[str, str] = {}
        if name is None:
            source, secrets, config = env_fallback(use.provider, os.environ)
            if source == "none":
                targets.failed.append(_failure(model, _no_credential(use.provider, use.platform)))
                continue
        else:
            credential = credentials.get(name)
            if credential is None:
                unknown = NotTested(NotTestedKind.UNKNOWN_CREDENTIAL, use.provider, credential=name)
                targets.failed.append(_failure(model, unknown))
                continue
            problems: list[UnresolvedSecret] = []
            for field_name, secret in credential.secrets.items():
                key = ref_key(secret.ref)
                if key in resolved_refs.values:
                    secrets[field_name] = resolved_refs.values[key]
                else:
                    failure = resolved_refs.errors.get(key)
                    why = "not resolved" if failure is None else failure.detail
                    problems.append(UnresolvedSecret(field_name, describe_ref(secret.ref), why))
            if problems:
                unread = NotTested(
                    NotTestedKind.SECRETS_UNRESOLVED,
                    use.provider,
                    credential=name,
                    secrets=tuple(problems),
                )
                targets.failed.append(_failure(model, unread))
                continue
            source = f"credential:{name}"
            config = dict(credential.config)
        targets.ready.append(
            ResolvedModel(
                slug=slug,
                provider=use.provider,
                model_id=str(model.get("model_id")),
                deployment=str(model.get("deployment")),
                source=source,
                credential_name=name,
                secrets=secrets,
                config=config,
            )
        )
    return targets


def not_tested(slug: str, reason: str) -> ConnectionResult:
    """A registry model that could not be resolved (``reason``: why), as a failed result."""
    why = NotTested(NotTestedKind.NOT_RESOLVED, detail=reason)
    return ConnectionResult(slug, "-", "-", False, not_tested=why)


def changed_from_plan(plan: Plan, desired: DesiredState) -> tuple[set[str], set[str]]:
    """Model slugs and credential names a plan creates or changes; a model whose credential
    (or, for platform models, the platform credential) changes counts as changed."""
    creds = {
        c.key
        for c in plan.changes
        if c.kind is Kind.CREDENTIAL and c.action in (Action.CREATE, Action.UPDATE)
    }
    models = {
        c.key
        for c in plan.changes
        if c.kind is Kind.MODEL
        and c.action in (Action.CREATE, Action.UPDATE, Action.RENAME, Action.REACTIVATE)
    }
    platform = desired.settings.platform_credential if desired.settings else None
    for slug, model in desired.models.items():
        use = model_route(
            model.get("deployment"), model.get("provider"), model.get("credential"), platform
        )
        if use.credential in creds:
            models.add(slug)
    return models, creds
