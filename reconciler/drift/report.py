"""What differs between the catalog and the registry, and why, as a typed report.

Each changed field is attributed by the values the reconciler stored when it last wrote the
row (migration 0005): edited in the registry (the application changed it), a catalog change
not applied yet, or both (a conflict). Rows written before that are attributed as a whole by
the row digest (migration 0003).
Secrets are not part of that digest: a stored secret whose reference is still the catalog's
but whose value (or source version) differs was rotated at its source or changed in the
registry, whatever happened to the catalog, and is reported on its own. Renderers
(reconciler.render.drift) choose the words.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from reconciler.plan.model import Change, Kind, Plan
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveCredential, LiveModel, LiveSettings, LiveState
from reconciler.state.records import applied_digest, ref_key


class Origin(enum.StrEnum):
    EDITED = "edited"  # changed in the registry since the reconciler wrote it
    UNAPPLIED = "unapplied"  # the registry row is as applied: the catalog changed since
    CONFLICT = "conflict"  # changed in the registry, and the catalog changed it too
    UNKNOWN = "unknown"  # no digest to compare (the row was written before migration 0003)
    SECRETS = "secrets"  # a stored secret differs from its (unchanged) source reference


ORIGINS = tuple(Origin)


class ComparedBy(enum.StrEnum):
    """How a secret that differs from its source was found to differ."""

    VALUE = "value"  # keyed fingerprints of the source's value and the stored one
    VERSION = "source_version"  # SOPS ciphertext digest / AWS version id; values not read
    REFERENCE = "reference"  # the registry's copy names no source: it was set there


@dataclass(frozen=True)
class Finding:
    """A changed row attributed to one origin, with the paths attributed to it."""

    origin: Origin
    change: Change
    paths: tuple[str, ...]


@dataclass(frozen=True)
class SecretFinding:
    change: Change  # the credential's change
    field: str
    compared_by: ComparedBy


@dataclass(frozen=True)
class UnmanagedRow:
    """A row the catalog does not manage (created in the application)."""

    kind: Kind
    key: str
    provider: str


@dataclass(frozen=True)
class DriftReport:
    plan: Plan
    last_applied: str | None  # the catalog digest of the last apply; None: never applied
    findings: tuple[Finding, ...]  # by origin (ORIGINS order), each in plan order
    secrets: tuple[SecretFinding, ...]
    not_compared: tuple[str, ...]  # catalog secrets (credential.field) it could not compare
    unmanaged: tuple[UnmanagedRow, ...]
    ignore_unmanaged: bool

    @property
    def catalog_applied(self) -> bool:
        return self.last_applied == self.plan.catalog_digest

    @property
    def drifted(self) -> bool:
        counted = bool(self.unmanaged) and not self.ignore_unmanaged
        return self.plan.has_changes or counted or bool(self.plan.errors)

    @property
    def exit_code(self) -> int:
        """0 without drift, 2 with drift, 1 when the plan has errors (drift unknown)."""
        return 1 if self.plan.errors else 2 if self.drifted else 0

    def by_origin(self, origin: Origin) -> list[Finding]:
        return [f for f in self.findings if f.origin is origin]


def unmanaged_rows(live: LiveState) -> list[UnmanagedRow]:
    rows = [
        UnmanagedRow(Kind.CREDENTIAL, name, c.state.provider)
        for name, c in sorted(live.credentials.items())
        if not c.managed
    ]
    rows += [
        UnmanagedRow(Kind.MODEL, slug, str(m.state.get("provider")))
        for slug, m in sorted(live.models.items())
        if not m.managed and m.active
    ]
    if live.settings is not None and not live.settings.managed:
        rows.append(UnmanagedRow(Kind.SETTINGS, "settings", ""))
    return rows


def _live_row(live: LiveState, change: Change) -> LiveCredential | LiveModel | LiveSettings | None:
    if change.kind is Kind.CREDENTIAL:
        return live.credentials.get(change.key)
    if change.kind is Kind.MODEL:
        return live.models.get(change.previous_key or change.key)
    return live.settings


def _desired_digest(desired: DesiredState, change: Change) -> str | None:
    """The digest the row would have once applied; None when it left the catalog."""
    if change.kind is Kind.MODEL:
        model = desired.models.get(change.key)
        return None if model is None else model.digest
    if change.kind is Kind.CREDENTIAL:
        cred = desired.credentials.get(change.key)
        return None if cred is None else applied_digest(cred.fields())
    return None if desired.settings is None else applied_digest(desired.settings.fields())


def _row_origins(
    row: LiveCredential | LiveModel | LiveSettings | None,
    change: Change,
    desired: DesiredState,
    catalog_unchanged: bool,
) -> list[Origin]:
    """Where a change of the row's plain (digested) fields, or of the row itself, belongs."""
    if row is None:  # a create: a new catalog entry, or a row deleted in the registry
        return [Origin.EDITED if catalog_unchanged else Origin.UNAPPLIED]
    if row.edited is None:
        # Without a digest, an unchanged catalog still means the registry moved.
        return [Origin.EDITED if catalog_unchanged else Origin.UNKNOWN]
    origins = [Origin.EDITED] if row.edited else []
    if not row.edited or _desired_digest(desired, change) != row.applied:
        origins.append(Origin.UNAPPLIED)
    return origins


def secret_origin(
    change: Change, path: str, desired: DesiredState, live: LiveState
) -> ComparedBy | None:
    """How a changed secret of a credential differs while the registry's copy keeps the
    catalog's reference (VALUE, VERSION), or names no source at all (REFERENCE): it was
    rotated at its source or changed in the registry. None for a secret the catalog added,
    dropped or points elsewhere: that follows the catalog."""
    want = desired.credentials.get(change.key)
    have = live.credentials.get(change.key)
    spec = None if want is None else want.secrets.get(path)
    stored = None if have is None else have.secrets.get(path)
    if spec is None or stored is None:
        return None
    if not stored.ref:
        return ComparedBy.REFERENCE
    if ref_key(spec.ref) != ref_key(stored.ref):
        return None
    return ComparedBy.VALUE if spec.fingerprint is not None else ComparedBy.VERSION


def _field_origin(row: LiveCredential | LiveModel | LiveSettings, path: str, after: Any) -> Origin:
    """One plain field of a row whose written values are known: who changed it."""
    edited = row.edited_fields or frozenset()
    if path not in edited:
        return Origin.UNAPPLIED
    return Origin.EDITED if after == (row.written or {}).get(path) else Origin.CONFLICT


def _change_findings(
    change: Change, desired: DesiredState, live: LiveState, catalog_unchanged: bool
) -> dict[Origin, list[str]]:
    row = _live_row(live, change)
    by_field = row is not None and row.edited_fields is not None and bool(change.fields)
    origins = _row_origins(row, change, desired, catalog_unchanged)
    secrets = [p for p, fc in change.fields.items() if fc.secret is not None]
    if not by_field and (row is None or change.kind is not Kind.CREDENTIAL or not secrets):
        return {origin: list(change.fields) for origin in origins}
    assert row is not None
    # Secrets are not in the row digest: a new or dropped secret, or a new reference, is
    # the catalog's doing when it changed since the last apply, else the registry's.
    moved = Origin.EDITED if catalog_unchanged else Origin.UNAPPLIED
    where: dict[Origin, list[str]] = {}
    for path, fc in change.fields.items():
        if fc.secret is None:
            targets = [_field_origin(row, path, fc.after)] if by_field else origins
        elif secret_origin(change, path, desired, live) is None:
            targets = [moved]
        else:
            targets = [Origin.SECRETS]
        for origin in targets:
            where.setdefault(origin, []).append(path)
    if by_field and not getattr(row, "active", True) and "active" in (row.edited_fields or ()):
        where.setdefault(Origin.EDITED, []).append("active")  # the application deactivated it
    return where


def attribute(
    plan: Plan, desired: DesiredState, live: LiveState, catalog_unchanged: bool
) -> list[Finding]:
    """Which changed rows (and fields) were edited in the registry, which wait for an apply,
    and which secrets differ from their source. A row can be in several: edited in the
    application while the catalog changed it too, or a secret rotated besides."""
    per_change = [
        (change, _change_findings(change, desired, live, catalog_unchanged))
        for change in plan.changes
    ]
    return [
        Finding(origin, change, tuple(where[origin]))
        for origin in ORIGINS
        for change, where in per_change
        if origin in where
    ]


def secret_findings(
    findings: list[Finding], desired: DesiredState, live: LiveState
) -> list[SecretFinding]:
    """The SECRETS findings, one per field, with how the difference was seen."""
    return [
        SecretFinding(
            f.change, path, secret_origin(f.change, path, desired, live) or ComparedBy.VALUE
        )
        for f in findings
        if f.origin is Origin.SECRETS
        for path in f.paths
    ]


def not_compared(plan: Plan, desired: DesiredState) -> list[str]:
    """The catalog's secrets (``credential.field``) the plan could not compare: their values
    were not read (no key, no secret access) and their source has no version (env)."""
    return sorted(
        f"{name}.{field}"
        for name, cred in desired.credentials.items()
        for field in cred.secrets
        if f"{name}.{field}" not in plan.secrets
    )


def drift_report(
    plan: Plan,
    desired: DesiredState,
    live: LiveState,
    *,
    ignore_unmanaged: bool = False,
) -> DriftReport:
    """Attribute every difference of ``plan`` (the catalog's ``desired`` state, stamped,
    against ``live``, read with its last apply's digest: ``read_live(last_applied=True)``).
    Rows the catalog does not manage are drift unless ``ignore_unmanaged``."""
    last = live.last_applied
    findings = attribute(plan, desired, live, last == plan.catalog_digest)
    return DriftReport(
        plan=plan,
        last_applied=last,
        findings=tuple(findings),
        secrets=tuple(secret_findings(findings, desired, live)),
        not_compared=tuple(not_compared(plan, desired)),
        unmanaged=tuple(unmanaged_rows(live)),
        ignore_unmanaged=ignore_unmanaged,
    )
