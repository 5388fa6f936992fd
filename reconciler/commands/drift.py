"""``reconciler drift``: what differs between the catalog and the registry, and why.

Each changed row is attributed by the digest the reconciler stored when it last wrote it:
edited in the registry (the application changed it), or a catalog change not applied yet.
Secrets are not part of that digest: a stored secret whose reference is still the catalog's
but whose value (or source version) differs was rotated at its source or changed in the
registry, whatever happened to the catalog, and is reported on its own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import sqlalchemy as sa

from reconciler.db import tables as t
from reconciler.db.engine import make_engine
from reconciler.diff.diff import DiffOptions
from reconciler.plan.build import make_plan
from reconciler.plan.model import Change, Kind, Plan
from reconciler.render.plan_json import plan_to_dict
from reconciler.render.plan_text import error_lines, note_lines, render_text
from reconciler.render.values import escape_control
from reconciler.render.view import shows_fields, title
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveCredential, LiveModel, LiveSettings, LiveState
from reconciler.state.records import applied_digest, ref_key
from reconciler.words import plural


def _last_applied_digest(db_url: str) -> str | None:
    engine = make_engine(db_url, create=False)
    try:
        with engine.connect() as conn:
            query = sa.select(t.reconcile_runs.c.catalog_digest).order_by(
                t.reconcile_runs.c.id.desc()
            )
            return conn.execute(query.limit(1)).scalar()
    finally:
        engine.dispose()


def unmanaged(live: LiveState) -> list[dict[str, str]]:
    rows = [
        {"kind": "credential", "key": name, "provider": c.state.provider}
        for name, c in sorted(live.credentials.items())
        if not c.managed
    ]
    rows += [
        {"kind": "model", "key": slug, "provider": str(m.state.get("provider"))}
        for slug, m in sorted(live.models.items())
        if not m.managed and m.active
    ]
    if live.settings is not None and not live.settings.managed:
        rows.append({"kind": "settings", "key": "settings", "provider": ""})
    return rows


EDITED = "edited"  # changed in the registry since the reconciler wrote it
UNAPPLIED = "unapplied"  # the registry row is as applied: the catalog changed since
UNKNOWN = "unknown"  # no digest to compare (the row was written before migration 0003)
SECRETS = "secrets"  # a stored secret differs from its (unchanged) source reference
BUCKETS = (EDITED, UNAPPLIED, UNKNOWN, SECRETS)

# How a secret in the SECRETS bucket was found to differ (the JSON "compared_by" values).
BY_VALUE = "value"  # keyed fingerprints of the source's value and the stored one
BY_VERSION = "source_version"  # SOPS ciphertext digest / AWS version id; values not read
BY_REFERENCE = "reference"  # the registry's copy names no source: it was set there
_HOW = {
    BY_VALUE: "value differs",
    BY_VERSION: "source version differs; values were not compared",
    BY_REFERENCE: "the registry's copy names no source",
}

# bucket -> changed row's title -> the paths attributed to that bucket (plan order)
Attribution = dict[str, dict[str, list[str]]]


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


def _row_buckets(
    row: LiveCredential | LiveModel | LiveSettings | None,
    change: Change,
    desired: DesiredState,
    catalog_unchanged: bool,
) -> list[str]:
    """Where a change of the row's plain (digested) fields, or of the row itself, belongs."""
    if row is None:  # a create: a new catalog entry, or a row deleted in the registry
        return [EDITED if catalog_unchanged else UNAPPLIED]
    if row.edited is None:
        # Without a digest, an unchanged catalog still means the registry moved.
        return [EDITED if catalog_unchanged else UNKNOWN]
    buckets = [EDITED] if row.edited else []
    if not row.edited or _desired_digest(desired, change) != row.applied:
        buckets.append(UNAPPLIED)
    return buckets


def _secret_origin(change: Change, path: str, desired: DesiredState, live: LiveState) -> str | None:
    """How a changed secret of a credential differs while the registry's copy keeps the
    catalog's reference (BY_VALUE, BY_VERSION), or names no source at all (BY_REFERENCE): it
    was rotated at its source or changed in the registry. None for a secret the catalog added,
    dropped or points elsewhere: that follows the catalog."""
    want = desired.credentials.get(change.key)
    have = live.credentials.get(change.key)
    spec = None if want is None else want.secrets.get(path)
    stored = None if have is None else have.secrets.get(path)
    if spec is None or stored is None:
        return None
    if not stored.ref:
        return BY_REFERENCE
    if ref_key(spec.ref) != ref_key(stored.ref):
        return None
    return BY_VALUE if spec.fingerprint is not None else BY_VERSION


def attribute(
    plan: Plan, desired: DesiredState, live: LiveState, catalog_unchanged: bool
) -> Attribution:
    """Which changed rows (and fields) were edited in the registry, which wait for an apply,
    and which secrets differ from their source. A row can be in several: edited in the
    application while the catalog changed it too, or a secret rotated besides."""
    out: Attribution = {bucket: {} for bucket in BUCKETS}
    for change in plan.changes:
        row = _live_row(live, change)
        buckets = _row_buckets(row, change, desired, catalog_unchanged)
        secrets = [p for p, fc in change.fields.items() if fc.secret is not None]
        if row is None or change.kind is not Kind.CREDENTIAL or not secrets:
            for bucket in buckets:
                out[bucket][change.title] = list(change.fields)
            continue
        # Secrets are not in the row digest: a new or dropped secret, or a new reference, is
        # the catalog's doing when it changed since the last apply, else the registry's.
        moved = EDITED if catalog_unchanged else UNAPPLIED
        where: dict[str, list[str]] = {}
        for path, fc in change.fields.items():
            if fc.secret is None:
                targets = buckets
            elif _secret_origin(change, path, desired, live) is None:
                targets = [moved]
            else:
                targets = [SECRETS]
            for bucket in targets:
                where.setdefault(bucket, []).append(path)
        for bucket in BUCKETS:
            if bucket in where:
                out[bucket][change.title] = where[bucket]
    return out


def secret_drift(
    plan: Plan, attribution: Attribution, desired: DesiredState, live: LiveState
) -> list[dict[str, str]]:
    """The SECRETS bucket as records: credential, field and how the difference was seen."""
    by_title = {c.title: c for c in plan.changes}
    return [
        {
            "credential": by_title[key].key,
            "field": path,
            "compared_by": _secret_origin(by_title[key], path, desired, live) or BY_VALUE,
        }
        for key, paths in attribution[SECRETS].items()
        for path in paths
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


def _differs(change: Change, paths: list[str]) -> str:
    """What to say after a changed row's title: the fields that differ, else the action."""
    if shows_fields(change) and paths:
        return ": " + ", ".join(escape_control(path) for path in paths)
    return f" ({change.action})"


def _errors_text(plan: Plan) -> str:
    """The plan's errors, shown as plan shows them: drift cannot be told while they stand."""
    lines = [f"Cannot check drift: the plan has {plural(len(plan.errors), 'error')}."]
    return "\n".join(lines + error_lines(plan)) + "\n"


def _notes_text(plan: Plan) -> list[str]:
    """The plan's notes (what it could not compare), as plan prints them."""
    return note_lines(plan)


def _secrets_lines(secrets: list[dict[str, str]], by_credential: Mapping[str, Change]) -> list[str]:
    lines = [
        "Secrets that differ from their source (rotated at the source, or changed in the "
        f"registry): {len(secrets)}"
    ]
    for record in secrets:
        change = by_credential[record["credential"]]
        lines.append(
            f"  {title(change)}: {escape_control(record['field'])} ({_HOW[record['compared_by']]})"
        )
    value = "value" if len(secrets) == 1 else "values"
    lines.append(f"  Apply to store the current {value} from the source.")
    return lines


def _unmanaged_lines(extra: list[dict[str, str]], ignored: bool) -> list[str]:
    head = f"{plural(len(extra), 'row')} not managed by the catalog (created in the application)"
    lines = [head + (", not counted as drift (--ignore-unmanaged):" if ignored else ":")]
    for row in extra:
        # settings are a single row: "? settings", not "? settings settings"
        name = row["kind"] if row["kind"] == row["key"] else f"{row['kind']} {row['key']}"
        lines.append(f"  ? {escape_control(name)}")
    lines.append(
        "  Adopt them with 'reconciler export --out DIR', copy the files into the catalog, "
        "and 'reconciler apply --adopt'."
    )
    return lines


def drift(
    catalog_dir: str,
    db_url: str,
    fmt: str,
    out: TextIO | None = None,
    *,
    ignore_unmanaged: bool = False,
) -> int:
    """Exit 0 without drift, 2 with drift, 1 when the plan has errors (drift unknown).

    Rows the catalog does not manage are drift unless ``ignore_unmanaged``: then they are
    listed for information only."""
    out = sys.stdout if out is None else out
    planned = make_plan(catalog_dir, db_url, options=DiffOptions())
    plan, extra = planned.plan, unmanaged(planned.live)
    desired, live = planned.stamped.desired, planned.live
    last = _last_applied_digest(db_url)
    buckets = attribute(plan, desired, live, last == plan.catalog_digest)
    secrets = secret_drift(plan, buckets, desired, live)
    unchecked = not_compared(plan, desired)
    counted = bool(extra) and not ignore_unmanaged
    drifted = plan.has_changes or counted or bool(plan.errors)
    if fmt == "json":
        document: dict[str, Any] = {
            "drift": drifted,
            "catalog_applied": last == plan.catalog_digest,
            "edited_in_registry": list(buckets[EDITED]),
            "not_yet_applied": list(buckets[UNAPPLIED]),
            "unattributed": list(buckets[UNKNOWN]),
            "secrets_differ_from_source": secrets,
            "secrets_not_compared": unchecked,
            "changed_fields": {c.title: list(c.fields) for c in plan.changes if shows_fields(c)},
            "errors": plan_to_dict(plan)["errors"],
            "managed": plan_to_dict(plan),
            "unmanaged": extra,
            "unmanaged_ignored": ignore_unmanaged,
        }
        out.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return 1 if plan.errors else 2 if drifted else 0
    if plan.errors:
        out.write(_errors_text(plan))
        return 1
    blocks: list[str] = []
    if not plan.has_changes:
        head = "No drift: the registry matches the catalog"
        head += "" if extra else " and holds no unmanaged rows"
        if unchecked:
            count = plural(len(unchecked), "secret")
            head += f", except {count} it could not compare (see the notes)"
        lines = ([head + "."] if not drifted else []) + _notes_text(plan)
        if lines:
            blocks.append("\n".join(lines) + "\n")
    else:
        if last is None:
            lines = ["The catalog was never applied to this registry."]
        elif last == plan.catalog_digest:
            lines = ["The catalog is unchanged since the last apply."]
        else:
            lines = ["The catalog changed since the last apply."]
        labels = (
            (EDITED, "Edited in the registry since the last apply (outside the catalog)"),
            (UNAPPLIED, "Catalog changes not applied yet"),
            (UNKNOWN, "Changed, origin unknown (row written before drift tracking)"),
        )
        by_title = {c.title: c for c in plan.changes}
        for bucket, label in labels:
            if buckets[bucket]:
                lines.append(f"{label}: {len(buckets[bucket])}")
                lines += [
                    f"  {title(by_title[key])}{_differs(by_title[key], paths)}"
                    for key, paths in buckets[bucket].items()
                ]
        if secrets:
            credentials = {c.key: c for c in plan.changes if c.kind is Kind.CREDENTIAL}
            lines += _secrets_lines(secrets, credentials)
        blocks.append("\n".join(lines) + "\n")
        blocks.append(
            "Applying the catalog would make these changes (before = registry):\n\n"
            + render_text(plan)
        )
    if extra:
        blocks.append("\n".join(_unmanaged_lines(extra, ignore_unmanaged)) + "\n")
    out.write("\n".join(blocks))
    return 2 if drifted else 0
