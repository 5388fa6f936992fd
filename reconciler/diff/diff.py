"""The diff: desired state x live state -> an ordered plan. A pure function: no I/O.

Identity: credentials by name, models by slug, settings as one object. Rows the reconciler did
not create (``managed`` false) are never touched unless ``adopt`` is set. Models are never
deleted, only deactivated; credentials are deleted only when nothing active links them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.diff.order import order_changes
from reconciler.gcpause import gc_paused
from reconciler.plan.guards import evaluate_guards
from reconciler.plan.model import (
    Action,
    Change,
    CreatedFields,
    FieldChange,
    Kind,
    Plan,
    RefChange,
    SecretStatus,
)
from reconciler.secrets.resolve import describe_ref
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveModel, LiveSecret, LiveState, WorkflowRefs
from reconciler.state.records import SecretSpec, ref_key


@dataclass(frozen=True)
class DiffOptions:
    adopt: bool = False
    prune: bool = True


def _field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, FieldChange]:
    keys = list(after) + [k for k in before if k not in after]
    return {
        k: FieldChange(before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)
    }


def _created_fields(values: Mapping[str, Any]) -> dict[str, FieldChange]:
    """The field changes of a new row: every non-null value, from nothing (same result as
    ``_field_changes({}, values)`` without its comparisons)."""
    return {k: FieldChange(None, v) for k, v in values.items() if v is not None}


def secret_status(want: SecretSpec | None, have: LiveSecret | None) -> SecretStatus:
    """What happens to the stored secret: a new reference always rewrites it (CHANGED)."""
    if have is None:
        return SecretStatus.ADDED
    if want is None:
        return SecretStatus.REMOVED
    if not have.ref or ref_key(want.ref) != ref_key(have.ref):
        return SecretStatus.CHANGED
    return value_status(want, have)


def value_status(want: SecretSpec, have: LiveSecret) -> SecretStatus:
    """Whether the value behind the secret changed: by fingerprint when the value was read,
    else by source version (only for the same reference: versions of different references
    are unrelated), else UNKNOWN."""
    if want.fingerprint is not None:
        changed = want.fingerprint != have.fingerprint
    elif (
        want.source_version is not None
        and have.source_version is not None
        and have.ref
        and ref_key(want.ref) == ref_key(have.ref)
    ):
        changed = want.source_version != have.source_version
    else:
        return SecretStatus.UNKNOWN
    return SecretStatus.CHANGED if changed else SecretStatus.UNCHANGED


def _impact(refs: WorkflowRefs | None) -> tuple[str, ...]:
    if refs is None or refs.count == 0:
        return ()
    names = ", ".join(refs.names) + (", ..." if refs.count > len(refs.names) else "")
    plural = "workflow" if refs.count == 1 else "workflows"
    return (f"referenced by {refs.count} active {plural}: {names}",)


def _not_managed(kind: str, key: str) -> str:
    return (
        f"{kind} '{key}' exists in the registry but was not created by the reconciler; "
        "pass --adopt to take it over, or rename it in the catalog"
    )


class _Differ:
    def __init__(self, desired: DesiredState, live: LiveState, options: DiffOptions) -> None:
        self.desired, self.live, self.options = desired, live, options
        self.plan = Plan(
            catalog_digest=desired.catalog_digest,
            revision=live.revision,
            registry_id=live.registry_id,
        )
        self.changes: list[Change] = []
        self.unknown_secrets: list[str] = []

    def run(self) -> Plan:
        self._credentials()
        self._models()
        self._settings()
        self._credential_removals()
        if self.unknown_secrets:
            self.plan.notes.append(
                "could not tell whether these secrets changed (no secret access and no source "
                "version): " + ", ".join(sorted(self.unknown_secrets)) + "; apply reads them"
            )
        self._rename_hints()
        self.plan.changes = order_changes(self.changes)
        self.plan.guards = evaluate_guards(self.plan.changes, self.live)
        return self.plan

    # --- credentials ---------------------------------------------------------------------

    def _secret_fields(
        self, name: str, want: Mapping[str, SecretSpec], have: Mapping[str, LiveSecret]
    ) -> dict[str, FieldChange]:
        out: dict[str, FieldChange] = {}
        for field in [*want, *(f for f in have if f not in want)]:
            spec, stored = want.get(field), have.get(field)
            status = secret_status(spec, stored)
            known = status
            if (
                spec is not None
                and stored is not None
                and stored.ref
                and ref_key(spec.ref) != ref_key(stored.ref)
            ):
                # A new reference: show it (it is not secret) and what is known of the value.
                known = value_status(spec, stored)
                ref = RefChange(describe_ref(stored.ref), describe_ref(spec.ref), known)
                out[field] = FieldChange(None, None, status, ref)
            elif status is SecretStatus.UNKNOWN:
                self.unknown_secrets.append(f"{name}.{field}")
            elif status is not SecretStatus.UNCHANGED:
                out[field] = FieldChange(None, None, status)
            if known is not SecretStatus.UNKNOWN:
                self.plan.secrets[f"{name}.{field}"] = known
        return out

    def _credentials(self) -> None:
        for name in sorted(self.desired.credentials):
            want = self.desired.credentials[name]
            have = self.live.credentials.get(name)
            if have is None:
                fields = _created_fields(want.fields())
                fields.update(self._secret_fields(name, want.secrets, {}))
                self.changes.append(Change(Action.CREATE, Kind.CREDENTIAL, name, fields))
                continue
            adopt = not have.managed
            if adopt and not self.options.adopt:
                self.plan.errors.append(_not_managed("credential", name))
                continue
            fields = _field_changes(have.state.fields(), want.fields())
            fields.update(self._secret_fields(name, want.secrets, have.secrets))
            if fields or adopt:
                self.changes.append(
                    Change(Action.UPDATE, Kind.CREDENTIAL, name, fields, adopt=adopt)
                )

    def _credential_removals(self) -> None:
        if not self.options.prune:
            return
        remaining_links = self._links_after_plan()
        for name, have in sorted(self.live.credentials.items()):
            if name in self.desired.credentials or not have.managed:
                continue
            users = remaining_links.get(name, [])
            if users:
                shown = ", ".join(sorted(users)[:5]) + (", ..." if len(users) > 5 else "")
                self.plan.errors.append(
                    f"credential '{name}' left the catalog but is still used by {shown}; "
                    "repoint or remove those first"
                )
                continue
            self.changes.append(Change(Action.DELETE, Kind.CREDENTIAL, name))

    def _links_after_plan(self) -> dict[str, list[str]]:
        """Who still links each credential once the plan is applied: active models and the
        settings. Deactivated models lose their link when the credential is deleted."""
        links: dict[str, list[str]] = {}
        for model in self.desired.models.values():
            if (cred := model.get("credential")) is not None:
                links.setdefault(cred, []).append(f"model {model.slug}")
        deactivated = {c.key for c in self.changes if c.action is Action.DEACTIVATE}
        renamed = {c.previous_key for c in self.changes if c.action is Action.RENAME}
        for slug, live_model in self.live.models.items():
            if slug in self.desired.models or slug in deactivated or slug in renamed:
                continue
            if live_model.active and (cred := live_model.state.get("credential")) is not None:
                links.setdefault(cred, []).append(f"model {slug}")
        settings = self.desired.settings or (
            self.live.settings.state if self.live.settings else None
        )
        if settings is not None and settings.platform_credential is not None:
            links.setdefault(settings.platform_credential, []).append("settings")
        return links

    # --- models --------------------------------------------------------------------------

    def _rename_source(
        self, slug: str, previous: tuple[str, ...], consumed: set[str]
    ) -> LiveModel | None:
        """The first previous slug that names a managed live model no other desired model
        claims (by slug, or by an earlier rename)."""
        if slug in self.live.models:
            return None
        for old in previous:
            found = self.live.models.get(old)
            if (
                found is not None
                and found.managed
                and old not in consumed
                and old not in self.desired.models
            ):
                return found
        return None

    def _models(self) -> None:
        consumed: set[str] = set()
        for slug in sorted(self.desired.models):
            want = self.desired.models[slug]
            values = want.values
            source = self._rename_source(slug, want.previous_slugs, consumed)
            if source is not None:
                consumed.add(source.state.slug)
                fields = _field_changes(source.state.values, values)
                warnings = tuple(
                    w.replace("referenced by", "repoints", 1)
                    for w in _impact(self.live.workflow_refs.get(source.state.slug))
                )
                self.changes.append(
                    Change(
                        Action.RENAME,
                        Kind.MODEL,
                        slug,
                        fields,
                        warnings,
                        previous_key=source.state.slug,
                    )
                )
                continue
            have = self.live.models.get(slug)
            if have is None:
                self.changes.append(Change(Action.CREATE, Kind.MODEL, slug, CreatedFields(want)))
                continue
            adopt = not have.managed
            if adopt and not self.options.adopt:
                self.plan.errors.append(_not_managed("model", slug))
                continue
            fields = _field_changes(have.state.values, values)
            disabling = "enabled" in fields and not values["enabled"]
            warnings = _impact(self.live.workflow_refs.get(slug)) if disabling else ()
            breaking = bool(warnings)
            if warnings:
                warnings = (f"disabling: {warnings[0]}",)
            if not have.active:
                self.changes.append(
                    Change(Action.REACTIVATE, Kind.MODEL, slug, fields, adopt=adopt)
                )
            elif fields or adopt:
                self.changes.append(
                    Change(
                        Action.UPDATE,
                        Kind.MODEL,
                        slug,
                        fields,
                        warnings,
                        adopt=adopt,
                        breaking=breaking,
                    )
                )
        if not self.options.prune:
            return
        for slug, have in sorted(self.live.models.items()):
            if slug in self.desired.models or slug in consumed or not have.managed:
                continue
            if not have.active:
                continue
            warnings = _impact(self.live.workflow_refs.get(slug))
            self.changes.append(
                Change(
                    Action.DEACTIVATE, Kind.MODEL, slug, warnings=warnings, breaking=bool(warnings)
                )
            )

    def _rename_hints(self) -> None:
        """A created and a deactivated model with the same provider and model_id are most
        likely one model whose slug changed (say, an edited display_name): say how to keep it."""
        removed: dict[tuple[Any, Any], list[str]] = {}
        for change in self.changes:
            if change.kind is Kind.MODEL and change.action is Action.DEACTIVATE:
                state = self.live.models[change.key].state
                removed.setdefault((state.get("provider"), state.get("model_id")), []).append(
                    change.key
                )
        if not removed:
            return
        for change in self.changes:
            if change.kind is not Kind.MODEL or change.action is not Action.CREATE:
                continue
            want = self.desired.models[change.key]
            for old in removed.get((want.get("provider"), want.get("model_id")), []):
                self.plan.notes.append(
                    f"model '{change.key}' looks like a rename of '{old}': add "
                    f"`previous_slugs: [{old}]` to keep its row and repoint its workflows, "
                    f"or pin `slug: {old}`"
                )

    # --- settings ------------------------------------------------------------------------

    def _settings(self) -> None:
        want = self.desired.settings
        if want is None:
            return
        have = self.live.settings
        if have is None:
            fields = _created_fields(want.fields())
            self.changes.append(Change(Action.CREATE, Kind.SETTINGS, "settings", fields))
            return
        adopt = not have.managed
        if adopt and not self.options.adopt:
            self.plan.errors.append(_not_managed("settings", "settings"))
            return
        fields = _field_changes(have.state.fields(), want.fields())
        if fields or adopt:
            self.changes.append(
                Change(Action.UPDATE, Kind.SETTINGS, "settings", fields, adopt=adopt)
            )


def diff(desired: DesiredState, live: LiveState, options: DiffOptions | None = None) -> Plan:
    """Every change that makes the registry match the catalog, in apply order."""
    with gc_paused():  # see reconciler.gcpause
        return _Differ(desired, live, options or DiffOptions()).run()
