"""Hand the LiteLLM proxy the secret values its rendered config references, without printing them.

``secrets_file`` resolves every binding (env, SOPS, AWS) into the text of a dotenv file
(``VAR=value`` lines, as ``docker run --env-file`` reads them) or of a Kubernetes ``Secret``
manifest (named ``litellm-credentials``, ``litellm-credentials-<environment>`` for an
environment, or as ``--secret-name`` says). Where it may be written (never stdout, a terminal, a
file git would commit or the catalog) is reconciler.litellm.outputs' to check, and the command
writes it with mode 0600 together with the config.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from reconciler.errors import SecretError
from reconciler.secrets.resolve import resolve_values, unreadable_secrets
from reconciler.secrets.values import SecretValue
from reconciler.state.records import SecretRefDict, ref_key

FORMATS = ("dotenv", "kubernetes")
SECRET_NAME = "litellm-credentials"  # noqa: S105 (the manifest's name, not a secret)


def format_for(path: str, fmt: str | None) -> str:
    """The explicit format, else by extension: .yaml/.yml is a Kubernetes Secret."""
    if fmt is not None:
        return fmt
    return "kubernetes" if path.endswith((".yaml", ".yml")) else "dotenv"


def secret_name(environment: str | None, name: str | None = None) -> str:
    """The Kubernetes Secret's name: ``name`` when given (reconciler.litellm.outputs has
    checked it), else ``litellm-credentials`` for the base and
    ``litellm-credentials-<environment>`` for an environment (lowercased, ``_`` made ``-``), so
    two environments in one namespace do not overwrite each other."""
    if name is not None:
        return name
    if environment is None:
        return SECRET_NAME
    suffix = re.sub(r"[^a-z0-9]+", "-", environment.lower()).strip("-")
    return f"{SECRET_NAME}-{suffix}" if suffix else SECRET_NAME


def dotenv_text(values: Mapping[str, str]) -> str:
    lines = []
    for variable, value in sorted(values.items()):
        if "\n" in value or "\r" in value:
            raise SecretError(
                f"the value of {variable} spans several lines, which a dotenv file cannot hold",
                hint="write a Kubernetes Secret instead (--secrets-format kubernetes)",
            )
        lines.append(f"{variable}={value}\n")
    return "".join(lines)


def kubernetes_text(values: Mapping[str, str], name: str = SECRET_NAME) -> str:
    data = {k: base64.b64encode(v.encode()).decode() for k, v in sorted(values.items())}
    manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "Opaque",
        "data": data,
    }
    return yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False)


def resolve_bindings(
    bindings: Mapping[str, SecretRefDict], catalog_root: Path, labels: Mapping[str, str]
) -> dict[str, SecretValue]:
    """Variable -> value; one error naming every secret that cannot be read."""
    refs = {ref_key(ref): ref for ref in bindings.values()}
    resolved = resolve_values(refs.values(), catalog_root)
    if resolved.errors:
        raise unreadable_secrets(refs, resolved.errors, labels)
    return {variable: resolved.values[ref_key(ref)] for variable, ref in bindings.items()}


@dataclass(frozen=True)
class SecretsFile:
    """The text of the secrets file (it holds the values: never shown) and how many variables
    it sets."""

    text: str = field(repr=False)
    count: int


def secrets_file(
    fmt: str,
    bindings: Mapping[str, SecretRefDict],
    catalog_root: Path,
    labels: Mapping[str, str],
    name: str | None = None,
) -> SecretsFile:
    """Resolve the values and lay them out as ``fmt`` says; nothing is written. ``name``: the
    Kubernetes Secret's (unused in a dotenv file)."""
    values = {k: v.reveal() for k, v in resolve_bindings(bindings, catalog_root, labels).items()}
    text = (
        kubernetes_text(values, name or SECRET_NAME) if fmt == "kubernetes" else dotenv_text(values)
    )
    return SecretsFile(text, len(values))
