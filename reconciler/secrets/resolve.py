"""Resolve secret references to values, or to source versions (without reading values).

Each source resolves all of its references at once: one `sops` run per file, one
BatchGetSecretValue per 20 AWS secrets. Sources are imported only when a reference needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import SecretError
from reconciler.plan.alerts import SecretFailure
from reconciler.secrets.env import resolve_env
from reconciler.secrets.values import SecretValue
from reconciler.state.records import SecretRefDict, ref_key

if TYPE_CHECKING:
    from reconciler.state.desired import DesiredState


@dataclass
class Resolved:
    """Results keyed by ``ref_key(ref)``; errors never contain secret values, nor the
    source's own messages."""

    values: dict[str, SecretValue] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    errors: dict[str, SecretFailure] = field(default_factory=dict)


def describe_ref(ref: SecretRefDict) -> str:
    if "env" in ref:
        return f"env {ref['env']}"
    if "sops" in ref:
        return f"sops {ref['sops']['file']}#{ref['sops']['key']}"
    aws = ref["aws_secretsmanager"]
    suffix = f"#{aws['json_key']}" if aws.get("json_key") else ""
    return f"aws_secretsmanager {aws['secret_id']}{suffix}"


def _split(refs: Iterable[SecretRefDict]) -> tuple[dict[str, SecretRefDict], ...]:
    env: dict[str, SecretRefDict] = {}
    sops: dict[str, SecretRefDict] = {}
    aws: dict[str, SecretRefDict] = {}
    for ref in refs:
        bucket = env if "env" in ref else sops if "sops" in ref else aws
        bucket[ref_key(ref)] = ref
    return env, sops, aws


def resolve_values(refs: Iterable[SecretRefDict], catalog_root: Path) -> Resolved:
    env_refs, sops_refs, aws_refs = _split(refs)
    out = Resolved()
    values, errors = resolve_env(r["env"] for r in env_refs.values())
    for key, ref in env_refs.items():
        if ref["env"] in values:
            out.values[key] = values[ref["env"]]
        else:
            out.errors[key] = errors[ref["env"]]
    if sops_refs:
        from reconciler.secrets.sops import resolve_sops

        resolve_sops(sops_refs, catalog_root, out)
    if aws_refs:
        from reconciler.secrets.aws import resolve_aws

        resolve_aws(aws_refs, out)
    return out


def resolve_versions(refs: Iterable[SecretRefDict], catalog_root: Path) -> Resolved:
    """Source versions only: no decryption, no secret access needed. Env values have none."""
    _, sops_refs, aws_refs = _split(refs)
    out = Resolved()
    if sops_refs:
        from reconciler.secrets.sops import sops_versions

        sops_versions(sops_refs, catalog_root, out)
    if aws_refs:
        from reconciler.secrets.aws import aws_versions

        aws_versions(aws_refs, out)
    return out


# --- messages ----------------------------------------------------------------------------------


def secret_labels(desired: DesiredState, catalog_root: Path | None = None) -> dict[str, str]:
    """Who uses each reference, by ``ref_key``: ``credential NAME (FILE), FIELD`` (joined with
    "; " when several fields share one). The file is named only with ``catalog_root`` (the
    catalog the desired state was read from)."""
    files = desired.credential_files if catalog_root is not None else {}
    labels: dict[str, list[str]] = {}
    for name, cred in sorted(desired.credentials.items()):
        where = f"credential {name}" + (f" ({files[name]})" if name in files else "")
        for field_name, secret in sorted(cred.secrets.items()):
            labels.setdefault(ref_key(secret.ref), []).append(f"{where}, {field_name}")
    return {key: "; ".join(uses) for key, uses in labels.items()}


def _fix(ref: SecretRefDict) -> str:
    if "env" in ref:
        return f"set {ref['env']} in the environment that runs the reconciler"
    if "sops" in ref:
        return "check the SOPS file and key, and that sops can decrypt it here"
    return "check the secret id and that these AWS credentials may read it"


def unreadable_secrets(
    refs: Mapping[str, SecretRefDict],
    errors: Mapping[str, SecretFailure],
    labels: Mapping[str, str] | None = None,
) -> SecretError:
    """One error for every secret that could not be read: who uses it (``labels`` from
    ``secret_labels``, else the reference), why, and what to do. ``errors`` are
    ``Resolved.errors``: they never hold a value, and neither does this message."""
    labels = labels or {}
    lines = []
    fixes: list[str] = []
    for key, why in sorted(errors.items(), key=lambda item: labels.get(item[0], item[0])):
        ref = refs.get(key)
        who = labels.get(key) or (describe_ref(ref) if ref is not None else key)
        lines.append(f"  {who}: {why.detail}")
        if ref is not None and (fix := _fix(ref)) not in fixes:
            fixes.append(fix)
    count = f"{len(lines)} secret{'s' if len(lines) != 1 else ''}"
    return SecretError(
        f"cannot read {count}:\n" + "\n".join(lines),
        hint="; ".join(fixes) + " (or change the reference in the credential's file), then rerun"
        if fixes
        else "check the references in the credentials' files, then rerun",
    )
