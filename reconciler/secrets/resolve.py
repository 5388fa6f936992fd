"""Resolve secret references to values, or to source versions (without reading values).

Each source resolves all of its references at once: one `sops` run per file, one
BatchGetSecretValue per 20 AWS secrets. Sources are imported only when a reference needs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.secrets.env import resolve_env
from reconciler.secrets.values import SecretValue
from reconciler.state.records import SecretRefDict, ref_key


@dataclass
class Resolved:
    """Results keyed by ``ref_key(ref)``; errors never contain secret values."""

    values: dict[str, SecretValue] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


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
