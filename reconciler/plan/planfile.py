"""Saved plans: the desired state (secret references only, never values), the catalog digest,
the registry revision the plan was made against, and a signature of its changes.

``apply PLANFILE`` re-reads the registry under the lock and refuses when the revision, the
catalog or the resulting changes differ from what was saved ("plan is stale").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from reconciler.errors import PlanError
from reconciler.files import read_regular, write_atomic
from reconciler.plan.model import CreatedFields, DiffOptions, Plan, SecretStatus, apply_step
from reconciler.provenance import Commit, parse_commit
from reconciler.state.desired import DesiredState
from reconciler.state.records import CredentialState, ModelState, SecretSpec, SettingsState

# 2: records the secret statuses the plan knew; 3: signs creates by digest, records the
# registry's identity and a digest of the file's own content; 4: the plan's
# warnings, notes, errors and guards as typed records (JSON plan format 3)
FORMAT_VERSION = "4"
KIND = "reconciler-plan"


def plan_signature(plan: Plan) -> str:
    """Digest of what the plan would write, leaving out secret-only statuses (those depend on
    whether secrets could be read when planning; apply always reads them)."""
    items: list[list[Any]] = []
    # signed in the order plans had before keys sorted naturally (by step, then key as
    # text): the display order may change without making saved plans stale
    for change in sorted(plan.changes, key=lambda c: (apply_step(c), c.key)):
        fields = change.fields
        if isinstance(fields, CreatedFields):
            # a new model is exactly its values: sign their digest, which the writer stores
            items.append([change.action.value, change.kind.value, change.key, fields.model.digest])
            continue
        fields = dict(fields)  # json.dumps would str() any other mapping
        if any(fc.secret is not None for fc in fields.values()):
            fields = {path: fc for path, fc in fields.items() if fc.secret is None}
            if not fields and change.action.value == "update" and not change.adopt:
                continue  # secret-only update
        # json.dumps(sort_keys=True) below orders the keys; a FieldChange dumps as a list
        items.append(
            [
                change.action.value,
                change.kind.value,
                change.key,
                change.previous_key,
                change.adopt,
                fields,
            ]
        )
    text = json.dumps(items, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def secret_statuses(plan: Plan) -> dict[str, str]:
    """What the plan knew about each secret's value (``{"cred.field": "unchanged"}``), for
    apply to check: the signature leaves secrets out, so this is what ties them to the plan.
    Secrets the plan could not tell about are absent (apply reads them). Never values."""
    return {key: status.value for key, status in sorted(plan.secrets.items())}


def stale_secrets(expected: dict[str, str], plan: Plan) -> list[str]:
    """The secrets whose status the plan knew and that now have another status."""
    return sorted(
        key
        for key, status in expected.items()
        if plan.secrets.get(key, SecretStatus.UNKNOWN).value != status
    )


def desired_to_dict(desired: DesiredState) -> dict[str, Any]:
    return {
        "credentials": {
            name: {
                "provider": c.provider,
                "display_name": c.display_name,
                "description": c.description,
                "config": dict(c.config),
                "secrets": {f: dict(s.ref) for f, s in c.secrets.items()},
            }
            for name, c in sorted(desired.credentials.items())
        },
        "models": {
            slug: {"values": dict(m.values), "previous_slugs": list(m.previous_slugs)}
            for slug, m in sorted(desired.models.items())
        },
        "settings": None if desired.settings is None else desired.settings.fields(),
    }


def desired_from_dict(data: dict[str, Any], catalog_digest: str) -> DesiredState:
    return DesiredState(
        credentials={
            name: CredentialState(
                name=name,
                provider=c["provider"],
                display_name=c["display_name"],
                description=c["description"],
                config=c["config"],
                secrets={f: SecretSpec(ref) for f, ref in c["secrets"].items()},
            )
            for name, c in data["credentials"].items()
        },
        models={
            slug: ModelState(slug, m["values"], tuple(m["previous_slugs"]))
            for slug, m in data["models"].items()
        },
        settings=None if data["settings"] is None else SettingsState(**data["settings"]),
        catalog_digest=catalog_digest,
    )


@dataclass(frozen=True)
class SavedPlan:
    desired: DesiredState
    catalog_digest: str
    revision: int
    signature: str
    options: DiffOptions
    catalog_dir: str
    secrets: dict[str, str]
    registry_id: str | None
    environment: str = ""  # whose catalog was planned ('' for the base catalog)
    commit: Commit | None = None  # the catalog commit the plan named (its target's)


def _saved_commit(data: dict[str, Any]) -> Commit | None:
    """The commit the plan's target named, checked as when it was planned (the content
    digest catches edits, not a recomputed digest: a file never brings other text into the
    audit row)."""
    target = data["plan"].get("target")
    if target is None or target["commit"] is None:
        return None
    commit = parse_commit(target["commit"]) if isinstance(target["commit"], str) else None
    if commit is None or commit.uncommitted:
        raise ValueError("bad commit")
    return Commit(commit.sha, uncommitted=target["uncommitted_changes"] is True)


def write_plan_file(
    path: str,
    plan: Plan,
    desired: DesiredState,
    options: DiffOptions,
    catalog_dir: str,
    rendered: dict[str, Any],
) -> None:
    document = {
        "format_version": FORMAT_VERSION,
        "kind": KIND,
        "catalog_dir": catalog_dir,
        "catalog_digest": plan.catalog_digest,
        "environment": desired.environment,
        "registry_revision": plan.revision,
        "registry_id": plan.registry_id,
        "signature": plan_signature(plan),
        "secrets": secret_statuses(plan),
        "options": {"adopt": options.adopt, "prune": options.prune},
        "desired": desired_to_dict(desired),
        "plan": rendered,
    }
    document["content_digest"] = _content_digest(document)
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    write_atomic(
        path,
        text.encode("utf-8"),
        hint="pass --out a path in a directory that exists "
        "and has room, or make the directory first",
    )


def _content_digest(document: dict[str, Any]) -> str:
    """Catches edits and corruption, not tampering: anyone can recompute it."""
    body = {k: v for k, v in document.items() if k != "content_digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _why(err: Exception) -> str:
    # Never str(err) of a KeyError/TypeError: it could quote content of the file.
    if isinstance(err, json.JSONDecodeError):
        return f"not JSON (line {err.lineno}, column {err.colno})"
    if isinstance(err, OSError):
        return err.strerror or type(err).__name__
    if isinstance(err, ValueError) and str(err) == _FOREIGN:
        return _FOREIGN
    return "it is not a complete plan file of this reconciler version"


_FOREIGN = "not a plan file of this reconciler version (format, or not a plan at all)"


def read_plan_file(path: str) -> SavedPlan:
    try:
        data = json.loads(read_regular(path)[0].decode("utf-8"))  # never blocks on a FIFO
        if not isinstance(data, dict):
            raise ValueError(_FOREIGN)
        if data.get("kind") != KIND or data.get("format_version") != FORMAT_VERSION:
            raise ValueError(_FOREIGN)
        if data.get("content_digest") != _content_digest(data):
            raise PlanError(
                f"plan file {path} was changed after 'reconciler plan' wrote it",
                hint="plan files are not meant to be edited: change the catalog and run "
                "'reconciler plan --out FILE' again",
            )
        secrets = data["secrets"]
        if not isinstance(secrets, dict) or not all(
            isinstance(k, str) and v in set(SecretStatus) for k, v in secrets.items()
        ):
            raise ValueError("bad secret statuses")
        options = DiffOptions(
            adopt=bool(data["options"]["adopt"]), prune=bool(data["options"]["prune"])
        )
        environment = str(data["environment"])
        desired = desired_from_dict(data["desired"], data["catalog_digest"])
        desired.environment = environment
        return SavedPlan(
            desired=desired,
            catalog_digest=data["catalog_digest"],
            revision=int(data["registry_revision"]),
            signature=data["signature"],
            options=options,
            catalog_dir=data["catalog_dir"],
            secrets={str(k): str(v) for k, v in secrets.items()},
            registry_id=data["registry_id"],
            environment=environment,
            commit=_saved_commit(data),
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise PlanError(
            f"cannot read plan file {path}: {_why(err)}",
            hint="make a new one with 'reconciler plan --out FILE'",
        ) from None
