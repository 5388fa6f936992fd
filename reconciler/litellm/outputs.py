"""Where ``litellm-config`` sends what it renders, as typed results.

``refusal``, ``out_refusal`` and ``secrets_target`` check the options and destinations before
anything is written (a refused destination leaves nothing done); ``compare`` says whether
``--check``'s file is current, shown with its secrets hidden (reconciler.litellm.recognize), and
refuses to show a file that is not a LiteLLM config at all; ``hand_over`` writes the secret
values the config references. Words: reconciler.render.litellm_outputs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from reconciler.files import NotRegularFile, file_kind, read_regular
from reconciler.litellm.recognize import Config, NotAConfig, Shown, not_a_config, recognize
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
    """The file ``--check`` compares (as given) differs from the rendering; both as they may be
    shown (reconciler.litellm.recognize: secret values and comments hidden)."""

    file: str
    current: Shown
    rendered: Shown


@dataclass(frozen=True)
class WrongFile:
    """The file ``--check`` compares is not a LiteLLM config: never shown."""

    path: Path
    found: NotAConfig


class OutProblem(Enum):
    """Why ``--out FILE`` is not written."""

    SECRETS_OUT = "secrets-out"  # the same file as --secrets-out
    IN_CATALOG = "in-catalog"  # the catalog would read it as one of its documents
    SYMLINK = "symlink"  # the rename would replace the link, not write where it points
    NOT_REGULAR = "not-regular"  # a FIFO, device, socket or directory
    UNREADABLE = "unreadable"  # exists, but what it holds cannot be told
    NOT_A_CONFIG = "not-a-config"  # exists and holds something else: it would be lost


@dataclass(frozen=True)
class OutRefused:
    """``--out FILE`` (as given) refused, before anything is written. ``catalog``: the
    catalog directory (IN_CATALOG); ``found``: what the file is (NOT_A_CONFIG); ``detail``:
    the kind of file (NOT_REGULAR) or the reason it cannot be read (UNREADABLE)."""

    file: str
    problem: OutProblem
    catalog: str | None = None
    found: NotAConfig | None = None
    detail: str | None = None


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


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def out_refusal(out_file: str, *, secrets_out: str | None, catalog_dir: str) -> OutRefused | None:
    """Whether ``--out FILE`` may be written: not the secrets file, nothing the catalog reads,
    a regular file (or none yet), and no file that holds something other than a LiteLLM config
    (rendering again over an earlier rendering is the normal case)."""
    path = Path(out_file)
    real = Path(os.path.realpath(path))
    if secrets_out is not None and (
        real == Path(os.path.realpath(secrets_out)) or _same_file(path, Path(secrets_out))
    ):
        return OutRefused(out_file, OutProblem.SECRETS_OUT)
    if _inside(real, Path(os.path.realpath(catalog_dir))):
        return OutRefused(out_file, OutProblem.IN_CATALOG, catalog=catalog_dir)
    if path.is_symlink():
        return OutRefused(out_file, OutProblem.SYMLINK)
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # a new file (a path that cannot be one: the write says why)
    kind = file_kind(mode)
    if kind is not None:
        return OutRefused(out_file, OutProblem.NOT_REGULAR, detail=kind)
    try:
        data = read_regular(path)[0]
    except NotRegularFile as err:  # replaced since the stat
        return OutRefused(out_file, OutProblem.NOT_REGULAR, detail=err.kind)
    except OSError as err:
        return OutRefused(out_file, OutProblem.UNREADABLE, detail=err.strerror or str(err))
    found = not_a_config(data)
    if found is not None:
        return OutRefused(out_file, OutProblem.NOT_A_CONFIG, found=found)
    return None


def _same_file(one: Path, other: Path) -> bool:
    """Two names of one file (a hard link)."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False  # one of them does not exist (yet)


def compare(file: str, rendered: str) -> Stale | Missing | Unreadable | WrongFile | None:
    """None when ``file`` holds exactly ``rendered``."""
    path = Path(file)
    try:
        data = read_regular(path)[0]  # never blocks on a FIFO
    except FileNotFoundError:
        return Missing(path)
    except OSError as err:
        return Unreadable(path, str(err))
    if data == rendered.encode("utf-8"):
        return None
    found = recognize(data, rendered)
    if isinstance(found, NotAConfig):
        return WrongFile(path, found)
    shown = recognize(rendered.encode("utf-8"), rendered)
    if not isinstance(shown, Config):  # the renderer always writes a config
        raise ValueError("the rendering is not a LiteLLM config")
    return Stale(file, found.shown, shown.shown)


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
