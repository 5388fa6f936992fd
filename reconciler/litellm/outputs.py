"""Where ``litellm-config`` sends what it renders, as typed results.

``refusal`` and ``secrets_target`` check the options before anything is read or written (a refused
destination leaves nothing done); ``compare`` says whether ``--check``'s file is current;
``hand_over`` writes the secret values the config references. Words:
reconciler.render.litellm_outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from reconciler.files import read_regular
from reconciler.secrets.resolve import secret_labels
from reconciler.state.desired import DesiredState
from reconciler.state.records import SecretRefDict


class Refusal(Enum):
    """Options that do not go together."""

    CHECK_NEEDS_OUT = "check-needs-out"
    CHECK_WRITES_NO_SECRETS = "check-writes-no-secrets"
    NAME_WITHOUT_SECRETS_OUT = "name-without-secrets-out"  # --secret-name
    NAME_FOR_DOTENV = "name-for-dotenv"  # --secret-name


@dataclass(frozen=True)
class SecretsOut:
    """The file ``--secrets-out`` names (as given), its format, and the Kubernetes Secret's
    name (None for a dotenv file, which has none)."""

    file: str
    format: str
    name: str | None

    @property
    def path(self) -> Path:
        return Path(self.file)


@dataclass(frozen=True)
class Missing:
    """The file ``--check`` compares does not exist."""

    path: Path


@dataclass(frozen=True)
class Unreadable:
    """The file ``--check`` compares cannot be read (or is not UTF-8)."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Stale:
    """The file ``--check`` compares (as given) differs from the rendering."""

    file: str
    current: str
    rendered: str


def refusal(
    *, check: bool, out_file: str | None, secrets_out: str | None, secret_name: str | None
) -> Refusal | None:
    """The first clash among the options that needs no file looked at, or None."""
    if check and out_file is None:
        return Refusal.CHECK_NEEDS_OUT
    if check and secrets_out is not None:
        return Refusal.CHECK_WRITES_NO_SECRETS
    if secrets_out is None and secret_name is not None:
        return Refusal.NAME_WITHOUT_SECRETS_OUT
    return None


def secrets_target(
    file: str, fmt: str | None, environment: str | None, name: str | None
) -> SecretsOut | Refusal:
    """Where the secret values go. A destination a secret must not reach is refused here
    (UnsafeDestinationError), before the config is written or printed."""
    from reconciler.secrets.handoff import check_destination, format_for, secret_name

    check_destination(Path(file))
    fmt = format_for(file, fmt)
    if fmt == "kubernetes":
        return SecretsOut(file, fmt, secret_name(environment, name))
    if name is not None:
        return Refusal.NAME_FOR_DOTENV
    return SecretsOut(file, fmt, None)


def compare(file: str, rendered: str) -> Stale | Missing | Unreadable | None:
    """None when ``file`` holds exactly ``rendered``."""
    path = Path(file)
    try:
        current = read_regular(path)[0].decode("utf-8")  # never blocks on a FIFO
    except FileNotFoundError:
        return Missing(path)
    except (OSError, UnicodeDecodeError) as err:
        return Unreadable(path, str(err))
    return None if current == rendered else Stale(file, current, rendered)


def hand_over(
    target: SecretsOut,
    bindings: Mapping[str, SecretRefDict],
    desired: DesiredState,
    catalog_root: Path,
) -> int:
    """Resolve and write the values of ``bindings`` (variable -> reference); how many were
    written."""
    from reconciler.secrets.handoff import write_secrets

    return write_secrets(
        target.path,
        target.format,
        bindings,
        catalog_root,
        secret_labels(desired, catalog_root),
        name=target.name,
    )
