"""Desired state: the validated catalog, in registry shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.catalog import spec
from reconciler.catalog.load import Catalog, CredentialSpec, model_slug
from reconciler.catalog.validate import validate_catalog
from reconciler.catalog.yamlio import Document, Pointer
from reconciler.diagnostics import Location, Severity
from reconciler.errors import CatalogInvalidError
from reconciler.gcpause import gc_paused
from reconciler.render.diagnostics import render_text
from reconciler.state.records import CredentialState, ModelState, SecretSpec, SettingsState
from reconciler.words import plural

MAX_DIAGNOSTICS_SHOWN = 20


@dataclass
class DesiredState:
    credentials: dict[str, CredentialState] = field(default_factory=dict)
    models: dict[str, ModelState] = field(default_factory=dict)
    settings: SettingsState | None = None
    catalog_digest: str = ""
    # the environment whose catalog this is ('' for the base catalog)
    environment: str = ""
    # the base catalog of a catalog that has environments (a plan then names the base)
    base_of_environments: bool = field(default=False, compare=False)
    # credential name -> the catalog file that defines it (for messages; not compared)
    credential_files: dict[str, str] = field(default_factory=dict, compare=False)
    # (kind, key) -> where the catalog document that defines the object names it, for
    # messages that point at it (not compared; a saved plan's desired state has none). A
    # pointer, not the document: the parsed documents were ~1.8 KB a model of plan's peak
    documents: dict[tuple[str, str], Pointer] = field(default_factory=dict, compare=False)

    def source(self, kind: str, key: str) -> Location | None:
        """Where the catalog defines the object (``kind`` credential, model or settings): its
        identity's line in the file that supplied it (an environment's overlay, or the base)."""
        pointer = self.documents.get((kind, key))
        if pointer is None:
            return None
        line, column = pointer.locate(key=True)
        return Location(pointer.path, line, column)


# the key that names an object in its document (shared tuples: one pointer per object)
_SLUG: tuple[str | int, ...] = ("slug",)
_DISPLAY_NAME: tuple[str | int, ...] = ("display_name",)
_NAME: tuple[str | int, ...] = ("name",)
_KIND: tuple[str | int, ...] = ("kind",)


def _model_pointer(doc: Document) -> Pointer:
    data = doc.data if isinstance(doc.data, dict) else {}
    return doc.pointer(_SLUG if "slug" in data else _DISPLAY_NAME)


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
    documents = {("credential", c.spec.name): c.doc.pointer(_NAME) for c in catalog.credentials}
    documents.update({("model", model_slug(e.spec)): _model_pointer(e.doc) for e in catalog.models})
    if catalog.settings:
        documents["settings", "settings"] = catalog.settings[0].doc.pointer(_KIND)
    return DesiredState(
        credentials={c.spec.name: credential_state(c.spec) for c in catalog.credentials},
        models={m.slug: m for m in (model_state(e.spec) for e in catalog.models)},
        settings=settings,
        catalog_digest=catalog.digest,
        credential_files={c.spec.name: str(c.doc.path) for c in catalog.credentials},
        documents=documents,
    )


def load_desired(catalog_dir: str | Path, environment: str | None = None) -> DesiredState:
    """The catalog's desired state (the base, or the named environment's); refuses a catalog
    with validation errors."""
    catalog = validate_catalog(catalog_dir, environment)
    errors = [d for d in catalog.diagnostics if d.severity is Severity.ERROR]
    if errors:
        shown = render_text(errors[:MAX_DIAGNOSTICS_SHOWN]).rstrip()
        more = len(errors) - MAX_DIAGNOSTICS_SHOWN
        raise CatalogInvalidError(
            f"the catalog{_of(environment)} has {plural(len(errors), 'validation error')}:"
            f"\n{shown}" + (f"\n... and {more} more" if more > 0 else ""),
            hint="run 'reconciler validate' and fix them first",
            diagnostics=errors,
        )
    with gc_paused():
        desired = desired_state(catalog)
    desired.environment = environment or ""
    if environment is None:
        from reconciler.catalog.environments import find_environments

        # one listing of environments/: cheap beside validating the catalog
        desired.base_of_environments = bool(find_environments(catalog_dir).names)
    return desired


def _of(environment: str | None) -> str:
    return f" of environment {environment}" if environment else ""
