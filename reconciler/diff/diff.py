"""The diff: desired state x live state -> an ordered plan. A pure function: no I/O.

Identity: credentials by name, models by slug, settings as one object. Rows the reconciler did
not create (``managed`` false) are never touched unless ``adopt`` is set. Models are never
deleted, only deactivated; credentials are deleted only when nothing active and no unmanaged
row links them (deleting one unlinks the managed inactive models that still link it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.catalog.slug import derive_slug
from reconciler.diff.fixes import with_fixes
from reconciler.diff.order import order_changes
from reconciler.gcpause import gc_paused
from reconciler.plan.alerts import (
    Alert,
    CatalogEmpty,
    CredentialInUse,
    CredentialLinkedByApplication,
    DropsCredential,
    FallsBackToEnvironment,
    LikelyRename,
    NotManaged,
    RevertsApplicationEdit,
    SecretNotCompared,
    SlugChanged,
    UnlinksInactiveModels,
    WorkflowImpact,
)
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
from reconciler.plan.model import DiffOptions as DiffOptions  # its home is the plan model
from reconciler.providers.table import PLATFORM_PROVIDER, ModelRoute, fallback_env, model_route
from reconciler.secrets.resolve import describe_ref
from reconciler.state.desired import DesiredState
from reconciler.state.live import (
    LiveCredential,
    LiveModel,
    LiveSecret,
    LiveSettings,
    LiveState,
    WorkflowRefs,
)
from reconciler.state.records import SecretSpec, applied_digest, ref_key


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


def _impact(
    subject: str, refs: WorkflowRefs | None, *, repoints: bool = False, disabling: bool = False
) -> tuple[Alert, ...]:
    if refs is None or refs.count == 0:
        return ()
    return (WorkflowImpact(subject, refs.names, refs.count, repoints, disabling),)


def _reverts(
    subject: str,
    row: LiveCredential | LiveModel | LiveSettings,
    fields: Mapping[str, FieldChange],
    reactivates: bool = False,
) -> tuple[Alert, ...]:
    """Warn that writing a row the application edited since the last apply undoes the edit:
    the fields only the application changed, and those both it and the catalog changed (a
    conflict). Secrets come from the catalog's sources and are not compared here."""
    if not (fields or reactivates) or not row.edited:
        return ()
    plain = [path for path, fc in fields.items() if fc.secret is None]
    edited = row.edited_fields
    if edited is None:
        return _reverts_whole_row(subject, row, plain, reactivates)
    written = row.written or {}
    app = [path for path in plain if path in edited]
    conflicts = tuple(path for path in app if fields[path].after != written.get(path))
    reverts = [path for path in app if path not in conflicts]
    if reactivates and "active" in edited:
        reverts.append("active")  # the application deactivated it; reactivating undoes that
    if not (reverts or conflicts):
        return ()
    ours = tuple(path for path in plain if path not in edited)
    return (RevertsApplicationEdit(subject, tuple(reverts), conflicts, catalog=ours),)


def _reverts_whole_row(
    subject: str,
    row: LiveCredential | LiveModel | LiveSettings,
    paths: list[str],
    reactivates: bool,
) -> tuple[Alert, ...]:
    """A row written before migration 0005: its digest says the row was edited, not which
    fields, so every field the change rewrites is listed (and the alert says so)."""
    if (
        reactivates
        and isinstance(row, LiveModel)
        and row.applied == applied_digest(row.state.values, active=True)
    ):
        paths = [*paths, "active"]
    if not paths:
        return ()
    return (RevertsApplicationEdit(subject, tuple(paths), whole_row=True),)


def _not_managed(kind: Kind, key: str, desired: DesiredState) -> NotManaged:
    subject = "settings" if kind is Kind.SETTINGS else f"{kind} {key}"
    return NotManaged(subject, kind.value, key, desired.source(kind.value, key))


class _Differ:
    def __init__(self, desired: DesiredState, live: LiveState, options: DiffOptions) -> None:
        self.desired, self.live, self.options = desired, live, options
        self.plan = Plan(
            catalog_digest=desired.catalog_digest,
            environment=desired.environment,
            base_of_environments=desired.base_of_environments,
            revision=live.revision,
            registry_id=live.registry_id,
        )
        self.changes: list[Change] = []
        self.unknown_secrets: list[str] = []
        self._route_pairs: list[tuple[str, ModelRoute[str], ModelRoute[str]]] | None = None

    def run(self) -> Plan:
        self._credentials()
        self._models()
        self._settings()
        self._credential_removals()
        self._dropped_credentials()
        self._empty_catalog()
        if self.unknown_secrets:
            self.plan.notes.append(SecretNotCompared("", tuple(sorted(self.unknown_secrets))))
        self._rename_hints()
        self.changes = with_fixes(self.changes, self.desired, self.live)
        self.plan.changes = order_changes(self.changes)
        self.plan.guards = evaluate_guards(self.plan.changes, self.live)
        return self.plan

    def _empty_catalog(self) -> None:
        """An empty catalog whose plan is blocked by the credential the registry's settings
        still use (it cannot be deleted): the empty catalog is the cause, so one error says
        that instead. An empty catalog that can apply (with --allow-mass-removal) still can."""
        if self.desired.models or self.desired.credentials or self.desired.settings:
            return
        in_use = [e for e in self.plan.errors if isinstance(e, CredentialInUse)]
        if not in_use:
            return
        models = sum(m.managed and m.active for m in self.live.models.values())
        credentials = sum(c.managed for c in self.live.credentials.values())
        others = [e for e in self.plan.errors if not isinstance(e, CredentialInUse)]
        self.plan.errors[:] = [CatalogEmpty("", models, credentials), *others]

    # --- credentials ---------------------------------------------------------------------

    def _secret_fields(
        self, name: str, want: Mapping[str, SecretSpec], have: Mapping[str, LiveSecret]
    ) -> dict[str, FieldChange]:
        out: dict[str, FieldChange] = {}
        for field in [*want, *(f for f in have if f not in want)]:
            spec, stored = want.get(field), have.get(field)
            status = secret_status(spec, stored)
            known = status
            if spec is not None and (stored is None or not stored.ref):
                # A new secret (or one stored without a reference): there is no previous
                # reference (""), but show where the value will come from, never the value.
                value = status if stored is None else value_status(spec, stored)
                ref = RefChange("", describe_ref(spec.ref), value)
                out[field] = FieldChange(None, None, status, ref)
            elif (
                spec is not None and stored is not None and ref_key(spec.ref) != ref_key(stored.ref)
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
                self.plan.errors.append(_not_managed(Kind.CREDENTIAL, name, self.desired))
                continue
            fields = _field_changes(have.state.fields(), want.fields())
            fields.update(self._secret_fields(name, want.secrets, have.secrets))
            if fields or adopt:
                warnings = _reverts(f"credential {name}", have, fields)
                self.changes.append(
                    Change(Action.UPDATE, Kind.CREDENTIAL, name, fields, warnings, adopt=adopt)
                )

    def _credential_removals(self) -> None:
        removed = sorted(
            name
            for name, have in self.live.credentials.items()
            if have.managed and name not in self.desired.credentials
        )
        if not self.options.prune or not removed:
            return
        remaining_links = self._links_after_plan()
        unmanaged_links = self._unmanaged_links()
        unlinked = self._unlinked_by_delete()
        for name in removed:
            subject = f"credential {name}"
            users = remaining_links.get(name, [])
            if users:
                models = tuple(sorted(u for u in users if u is not None))
                self.plan.errors.append(CredentialInUse(subject, name, models, None in users))
            app_rows = unmanaged_links.get(name, [])
            if app_rows:
                # Deleting would unlink rows the application owns: not the reconciler's call.
                self.plan.errors.append(
                    CredentialLinkedByApplication(
                        subject,
                        name,
                        tuple(sorted(slug for slug, _active in app_rows)),
                        tuple(sorted(slug for slug, active in app_rows if not active)),
                    )
                )
            if users or app_rows:
                continue
            unlinks = unlinked.get(name, [])
            warnings: tuple[Alert, ...] = ()
            if unlinks:
                warnings = (UnlinksInactiveModels(subject, tuple(sorted(unlinks))),)
            fallback = self._falls_back(name)
            if fallback:
                variables = sorted({v for _, route in fallback for v in fallback_env(route)})
                models = tuple(sorted(slug for slug, _ in fallback))
                warnings += (FallsBackToEnvironment(subject, models, tuple(variables)),)
            self.changes.append(Change(Action.DELETE, Kind.CREDENTIAL, name, warnings=warnings))

    def _falls_back(self, name: str) -> list[tuple[str, str]]:
        """Catalog models whose call used credential ``name`` (their own, or the platform
        credential) and uses none once applied: (slug, provider called). The runtime then
        reads the provider's fallback environment variables."""
        return [
            (slug, after.provider)
            for slug, before, after in self._routes()
            if before.credential == name and after.credential is None
        ]

    def _routes(self) -> list[tuple[str, ModelRoute[str], ModelRoute[str]]]:
        """Each catalog model with a live row (its own, or the one it is renamed from): the
        provider and credential its calls use before and after the plan (slug, before,
        after). Computed once per plan."""
        if self._route_pairs is not None:
            return self._route_pairs
        live_settings = self.live.settings.state if self.live.settings else None
        settings = self.desired.settings or live_settings
        platform_before = live_settings.platform_credential if live_settings else None
        platform_after = settings.platform_credential if settings else None
        out = []
        for slug, want in self.desired.models.items():
            moved = (p for p in want.previous_slugs if p in self.live.models)  # a rename
            have = self.live.models.get(slug) or self.live.models.get(next(moved, ""))
            if have is None:
                continue
            before = model_route(
                have.state.get("deployment"),
                have.state.get("provider"),
                have.state.get("credential"),
                platform_before,
            )
            after = model_route(
                want.get("deployment"), want.get("provider"), want.get("credential"), platform_after
            )
            out.append((slug, before, after))
        self._route_pairs = out
        return out

    def _dropped_credentials(self) -> None:
        """Warn on the change that leaves models without the credential their calls used, when
        the credential stays (its delete already says so for its models): the model's own
        change, or the settings' for platform models whose platform_credential was dropped.
        A platform model's own ``credential`` is never used, so only routes are compared."""
        said = {
            (change.key, slug)
            for change in self.changes
            if change.action is Action.DELETE
            for w in change.warnings
            if isinstance(w, FallsBackToEnvironment)
            for slug in w.models
        }
        own: dict[str, Alert] = {}
        platform: dict[str, list[str]] = {}
        for slug, before, after in self._routes():
            if before.credential is None or after.credential is not None:
                continue
            if (before.credential, slug) in said:
                continue
            if before.platform and after.platform:  # the settings dropped platform_credential
                platform.setdefault(before.credential, []).append(slug)
            else:
                variables = fallback_env(after.provider)
                own[slug] = DropsCredential(f"model {slug}", before.credential, (slug,), variables)
        if not own and not platform:
            return
        settings_alerts = tuple(
            DropsCredential(
                "settings", name, tuple(sorted(slugs)), fallback_env(PLATFORM_PROVIDER), True
            )
            for name, slugs in sorted(platform.items())
        )
        for i, change in enumerate(self.changes):
            if change.kind is Kind.MODEL and change.key in own:
                alerts: tuple[Alert, ...] = (own[change.key],)
            elif change.kind is Kind.SETTINGS and settings_alerts:
                alerts = settings_alerts
            else:
                continue
            self.changes[i] = replace(change, warnings=(*change.warnings, *alerts))

    def _gone_slugs(self) -> set[str]:
        """Live slugs that leave the catalog without moving: not desired, not renamed away."""
        renamed = {c.previous_key for c in self.changes if c.action is Action.RENAME}
        return {s for s in self.live.models if s not in self.desired.models and s not in renamed}

    def _links_after_plan(self) -> dict[str, list[str | None]]:
        """Who still links each credential once the plan is applied: models (of the catalog,
        and managed ones that stay active) and the settings. Managed models that are or become
        inactive lose their link when the credential is deleted; unmanaged rows are judged by
        ``_unmanaged_links``. Models by slug, the settings as None."""
        links: dict[str, list[str | None]] = {}
        for model in self.desired.models.values():
            if (cred := model.get("credential")) is not None:
                links.setdefault(cred, []).append(model.slug)
        deactivated = {c.key for c in self.changes if c.action is Action.DEACTIVATE}
        for slug in self._gone_slugs():
            live_model = self.live.models[slug]
            if not live_model.managed or slug in deactivated or not live_model.active:
                continue
            if (cred := live_model.state.get("credential")) is not None:
                links.setdefault(cred, []).append(slug)
        settings = self.desired.settings or (
            self.live.settings.state if self.live.settings else None
        )
        if settings is not None and settings.platform_credential is not None:
            links.setdefault(settings.platform_credential, []).append(None)
        return links

    def _unmanaged_links(self) -> dict[str, list[tuple[str, bool]]]:
        """Unmanaged model rows (slug, active), active or not, that keep their link after the
        plan (all but those adopted from the catalog), by credential."""
        links: dict[str, list[tuple[str, bool]]] = {}
        for slug, live_model in self.live.models.items():
            if live_model.managed or (self.options.adopt and slug in self.desired.models):
                continue
            if (cred := live_model.state.get("credential")) is not None:
                links.setdefault(cred, []).append((slug, live_model.active))
        return links

    def _unlinked_by_delete(self) -> dict[str, list[str]]:
        """Managed models inactive once the plan's deactivations ran that still link a
        credential: deleting it unlinks them (the writer keeps their digest current)."""
        deactivated = {c.key for c in self.changes if c.action is Action.DEACTIVATE}
        out: dict[str, list[str]] = {}
        for slug in self._gone_slugs():
            live_model = self.live.models[slug]
            if not live_model.managed or (live_model.active and slug not in deactivated):
                continue
            if (cred := live_model.state.get("credential")) is not None:
                out.setdefault(cred, []).append(slug)
        return out

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
                subject = f"model {slug}"
                refs = self.live.workflow_refs.get(source.state.slug)
                # The workflows follow the row to its new slug, and find it disabled.
                disabling = "enabled" in fields and not values["enabled"]
                warnings = _impact(subject, refs, repoints=True, disabling=disabling)
                breaking = bool(warnings) and disabling
                warnings += _reverts(subject, source, fields, reactivates=not source.active)
                self.changes.append(
                    Change(
                        Action.RENAME,
                        Kind.MODEL,
                        slug,
                        fields,
                        warnings,
                        previous_key=source.state.slug,
                        breaking=breaking,
                        # `litellm-config` aliases previous_slugs of enabled models only
                        litellm_alias=bool(values["enabled"]),
                    )
                )
                continue
            have = self.live.models.get(slug)
            if have is None:
                self.changes.append(Change(Action.CREATE, Kind.MODEL, slug, CreatedFields(want)))
                continue
            adopt = not have.managed
            if adopt and not self.options.adopt:
                self.plan.errors.append(_not_managed(Kind.MODEL, slug, self.desired))
                continue
            fields = _field_changes(have.state.values, values)
            disabling = "enabled" in fields and not values["enabled"]
            subject = f"model {slug}"
            refs = self.live.workflow_refs.get(slug)
            warnings = _impact(subject, refs, disabling=True) if disabling else ()
            breaking = bool(warnings)
            if not have.active:
                reverts = _reverts(subject, have, fields, reactivates=True)
                self.changes.append(
                    Change(Action.REACTIVATE, Kind.MODEL, slug, fields, reverts, adopt=adopt)
                )
            elif fields or adopt:
                warnings += _reverts(subject, have, fields)
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
            warnings = _impact(f"model {slug}", self.live.workflow_refs.get(slug))
            self.changes.append(
                Change(
                    Action.DEACTIVATE, Kind.MODEL, slug, warnings=warnings, breaking=bool(warnings)
                )
            )

    def _rename_hints(self) -> None:
        """A created and a deactivated model with the same provider and model_id are most
        likely one model whose slug changed: say how to keep it. When an edited display_name
        derived the new slug, that is a warning on the deactivation: API clients call models by
        slug, and the old one stops answering."""
        removed: dict[tuple[Any, Any], list[str]] = {}
        for change in self.changes:
            if change.kind is Kind.MODEL and change.action is Action.DEACTIVATE:
                state = self.live.models[change.key].state
                removed.setdefault((state.get("provider"), state.get("model_id")), []).append(
                    change.key
                )
        if not removed:
            return
        slug_changes: dict[str, list[Alert]] = {}
        for change in self.changes:
            if change.kind is not Kind.MODEL or change.action is not Action.CREATE:
                continue
            want = self.desired.models[change.key]
            for old in removed.get((want.get("provider"), want.get("model_id")), []):
                if self._derived_slug_changed(old, change.key):
                    alert = SlugChanged(f"model {old}", old, change.key)
                    slug_changes.setdefault(old, []).append(alert)
                else:
                    self.plan.notes.append(LikelyRename(f"model {change.key}", old, change.key))
        if slug_changes:
            self.changes = [
                replace(c, warnings=(*c.warnings, *slug_changes[c.key]))
                if c.action is Action.DEACTIVATE and c.key in slug_changes
                else c
                for c in self.changes
            ]

    def _derived_slug_changed(self, old: str, new: str) -> bool:
        """Whether both slugs are derived from their display names, which differ: an edited
        display_name moved the model to a new slug."""
        before = self.live.models[old].state.get("display_name")
        after = self.desired.models[new].get("display_name")
        return (
            isinstance(before, str)
            and isinstance(after, str)
            and before != after
            and derive_slug(before) == old
            and derive_slug(after) == new
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
            self.plan.errors.append(_not_managed(Kind.SETTINGS, "settings", self.desired))
            return
        fields = _field_changes(have.state.fields(), want.fields())
        if fields or adopt:
            warnings = _reverts("settings", have, fields)
            self.changes.append(
                Change(Action.UPDATE, Kind.SETTINGS, "settings", fields, warnings, adopt=adopt)
            )


def diff(desired: DesiredState, live: LiveState, options: DiffOptions | None = None) -> Plan:
    """Every change that makes the registry match the catalog, in apply order."""
    with gc_paused():  # see reconciler.gcpause
        return _Differ(desired, live, options or DiffOptions()).run()
