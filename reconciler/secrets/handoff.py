"""Hand the LiteLLM proxy the secret values its rendered config references, without printing them.

``write_secrets`` resolves every binding (env, SOPS, AWS) and writes a dotenv file (``VAR=value``
lines, as ``docker run --env-file`` reads them) or a Kubernetes ``Secret`` manifest (named
``litellm-credentials``, ``litellm-credentials-<environment>`` for an environment, or as
``--secret-name`` says). The file is created with mode 0600; a terminal, stdout or any other
non-regular file is refused, and so is a file git tracks (a secret must never be committed by
accident).
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from reconciler.errors import ReconcilerError, SecretError
from reconciler.secrets.resolve import resolve_values, unreadable_secrets
from reconciler.secrets.values import SecretValue
from reconciler.state.records import SecretRefDict, ref_key

FORMATS = ("dotenv", "kubernetes")
SECRET_NAME = "litellm-credentials"  # noqa: S105 (the manifest's name, not a secret)
# a Kubernetes object name (RFC 1123 subdomain): what `kubectl apply` accepts for a Secret
_K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_K8S_NAME_MAX = 253


class UnsafeDestinationError(ReconcilerError):
    """The secrets file would land somewhere a secret must not go."""


def format_for(path: str, fmt: str | None) -> str:
    """The explicit format, else by extension: .yaml/.yml is a Kubernetes Secret."""
    if fmt is not None:
        return fmt
    return "kubernetes" if path.endswith((".yaml", ".yml")) else "dotenv"


def secret_name(environment: str | None, name: str | None = None) -> str:
    """The Kubernetes Secret's name: ``name`` when given (checked), else ``litellm-credentials``
    for the base and ``litellm-credentials-<environment>`` for an environment (lowercased,
    ``_`` made ``-``), so two environments in one namespace do not overwrite each other."""
    if name is not None:
        if len(name) > _K8S_NAME_MAX or not _K8S_NAME.fullmatch(name):
            raise ReconcilerError(
                f"--secret-name {name!r} is not a Kubernetes object name",
                hint="use lowercase letters, digits, '-' and '.', starting and ending with a "
                f"letter or digit, at most {_K8S_NAME_MAX} characters",
            )
        return name
    if environment is None:
        return SECRET_NAME
    suffix = re.sub(r"[^a-z0-9]+", "-", environment.lower()).strip("-")
    return f"{SECRET_NAME}-{suffix}" if suffix else SECRET_NAME


def _git_tracked(path: Path) -> bool:
    try:
        done = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False  # no git here: nothing can be tracked
    return done.returncode == 0


def _is_own_output(info: os.stat_result) -> bool:
    """Whether the file is this process's stdout or stderr (``/dev/stdout``, a redirect)."""
    for fd in (1, 2):
        try:
            out = os.fstat(fd)
        except OSError:
            continue
        if (out.st_dev, out.st_ino) == (info.st_dev, info.st_ino):
            return True
    return False


def check_destination(path: Path) -> None:
    if path.is_symlink():  # the write renames a file into place: it would replace the link
        raise UnsafeDestinationError(
            f"--secrets-out {path}: a symbolic link (such as /dev/stdout); secret values are "
            "only written to a regular file",
            hint="name the file itself, outside the repository",
        )
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    if str(path) == "-" or (info is not None and _is_own_output(info)):
        raise UnsafeDestinationError(
            "--secrets-out refuses to write secret values to stdout or stderr",
            hint="name a file outside the repository",
        )
    mode = None if info is None else info.st_mode
    if mode is not None and not stat.S_ISREG(mode):
        raise UnsafeDestinationError(
            f"--secrets-out {path}: not a regular file (a terminal, a pipe or a device); "
            "secret values are only written to a file",
            hint="name a file outside the repository, e.g. in the deploy job's temporary directory",
        )
    if not path.parent.is_dir():
        raise UnsafeDestinationError(
            f"--secrets-out {path}: the directory {path.parent} does not exist"
        )
    if mode is not None and _git_tracked(path):
        raise UnsafeDestinationError(
            f"--secrets-out {path}: git tracks this file; secret values must not be committed",
            hint="write the secrets outside the repository (or to a git-ignored path)",
        )


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


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (through a 0600 temporary file, renamed)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_secrets(
    path: Path,
    fmt: str,
    bindings: Mapping[str, SecretRefDict],
    catalog_root: Path,
    labels: Mapping[str, str],
    name: str | None = None,
) -> int:
    """Resolve and write the values; returns how many variables were written. ``name``: the
    Kubernetes Secret's (unused in a dotenv file)."""
    check_destination(path)
    values = {k: v.reveal() for k, v in resolve_bindings(bindings, catalog_root, labels).items()}
    text = (
        kubernetes_text(values, name or SECRET_NAME) if fmt == "kubernetes" else dotenv_text(values)
    )
    write_private(path, text)
    return len(values)
