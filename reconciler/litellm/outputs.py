"""Where ``litellm-config`` sends what it renders, as typed results.

``refusal``, ``out_refusal`` and ``secrets_target`` check the options and destinations before
anything is written (a refused destination leaves nothing done); ``compare`` says whether
``--check``'s file is current, shown with its secrets hidden (reconciler.litellm.recognize), and
refuses to show a file that is not a LiteLLM config at all; ``resolve_secrets`` reads the secret
values the config references, which the command then writes together with the config. Words:
reconciler.render.litellm_outputs.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.files import NotRegularFile, file_kind, read_regular
from reconciler.litellm.recognize import Config, NotAConfig, Shown, not_a_config, recognize
from reconciler.secrets.resolve import secret_labels
from reconciler.state.desired import DesiredState
from reconciler.state.records import SecretRefDict

if TYPE_CHECKING:
    from reconciler.secrets.handoff import SecretsFile


# a Kubernetes object name (RFC 1123 subdomain): what `kubectl apply` accepts for a Secret
K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
K8S_NAME_MAX = 253


class Refusal(Enum):
    """Options that do not go together."""

    CHECK_NEEDS_OUT = "check-needs-out"
    CHECK_WRITES_NO_SECRETS = "check-writes-no-secrets"
    NAME_WITHOUT_SECRETS_OUT = "name-without-secrets-out"  # --secret-name
    NAME_FOR_DOTENV = "name-for-dotenv"  # --secret-name


@dataclass(frozen=True)
class BadSecretName:
    """``--secret-name`` (as given) is not a name Kubernetes accepts for a Secret (K8S_NAME, at
    most K8S_NAME_MAX characters)."""

    name: str


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


class SecretsProblem(Enum):
    """Why ``--secrets-out FILE`` is not written: the secret values would land where they
    must not."""

    STDOUT = "stdout"  # "-", or this process's own (redirected) stdout or stderr
    SYMLINK = "symlink"  # the rename would replace the link (such as /dev/stdout)
    NOT_REGULAR = "not-regular"  # a terminal, a pipe, a device
    NO_DIRECTORY = "no-directory"  # its directory does not exist
    IN_CATALOG = "in-catalog"  # the catalog would read it (and it would be committed with it)
    GIT_TRACKED = "git-tracked"  # the next commit would hold the values
    NOT_IGNORED = "not-ignored"  # in a git work tree, one `git add -A` away from a commit


@dataclass(frozen=True)
class SecretsRefused:
    """``--secrets-out FILE`` (as given) refused, before anything is written. ``where``: the
    catalog directory (IN_CATALOG), the missing directory (NO_DIRECTORY) or the top of the
    git work tree (NOT_IGNORED, GIT_TRACKED)."""

    file: str
    problem: SecretsProblem
    where: str | None = None


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
    file: str, fmt: str | None, environment: str | None, name: str | None, *, catalog_dir: str
) -> SecretsOut | SecretsRefused | Refusal | BadSecretName:
    """Where the secret values go. A destination a secret must not reach, or a Secret name
    Kubernetes would refuse, is refused here, before the config is written or printed."""
    from reconciler.secrets.handoff import format_for, secret_name

    unsafe = secrets_refusal(file, catalog_dir=catalog_dir)
    if unsafe is not None:
        return unsafe
    fmt = format_for(file, fmt)
    if fmt == "kubernetes":
        if name is not None and (len(name) > K8S_NAME_MAX or not K8S_NAME.fullmatch(name)):
            return BadSecretName(name)
        return SecretsOut(file, fmt, secret_name(environment, name))
    if name is not None:
        return Refusal.NAME_FOR_DOTENV
    return SecretsOut(file, fmt, None)


def secrets_refusal(file: str, *, catalog_dir: str) -> SecretsRefused | None:
    """Whether the secret values may be written to ``file``: a regular file (or none yet) in an
    existing directory, not the command's own output, outside the catalog, and, inside a git
    work tree, a path git ignores (so that no ``git add`` can pick it up)."""
    path = Path(file)
    if path.is_symlink():
        return SecretsRefused(file, SecretsProblem.SYMLINK)
    try:
        info: os.stat_result | None = path.stat()
    except OSError:
        info = None
    if file == "-" or (info is not None and _is_own_output(info)):
        return SecretsRefused(file, SecretsProblem.STDOUT)
    if info is not None and not stat.S_ISREG(info.st_mode):
        return SecretsRefused(file, SecretsProblem.NOT_REGULAR)
    if not path.parent.is_dir():
        return SecretsRefused(file, SecretsProblem.NO_DIRECTORY, where=str(path.parent))
    real = Path(os.path.realpath(path.parent)) / path.name
    if _inside(real, Path(os.path.realpath(catalog_dir))):
        return SecretsRefused(file, SecretsProblem.IN_CATALOG, where=catalog_dir)
    top = _git_work_tree(path.parent)
    if top is not None and not _git_ignored(path):
        problem = SecretsProblem.GIT_TRACKED if _git_tracked(path) else SecretsProblem.NOT_IGNORED
        return SecretsRefused(file, problem, where=top)
    return None


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


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    """``git ARGS`` run in ``directory``; None when git cannot be run (not installed)."""
    try:
        return subprocess.run(
            ["git", *args],
            cwd=directory,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _git_work_tree(directory: Path) -> str | None:
    """The top of the git work tree ``directory`` is in; None outside one (or without git)."""
    done = _git(directory, "rev-parse", "--show-toplevel")
    if done is None or done.returncode != 0:
        return None
    return os.fsdecode(done.stdout).rstrip("\n") or None


def _git_ignored(path: Path) -> bool:
    """Whether git ignores ``path`` (a tracked file never is); an answer git cannot give counts
    as not ignored."""
    done = _git(path.parent, "check-ignore", "-q", "--", path.name)
    return done is not None and done.returncode == 0


def _git_tracked(path: Path) -> bool:
    done = _git(path.parent, "ls-files", "--error-unmatch", "--", path.name)
    return done is not None and done.returncode == 0


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


def resolve_secrets(
    target: SecretsOut,
    bindings: Mapping[str, SecretRefDict],
    desired: DesiredState,
    catalog_root: Path,
) -> SecretsFile:
    """The values of ``bindings`` (variable -> reference), laid out as ``target`` says: one
    SecretError naming every secret that cannot be read. Nothing is written."""
    from reconciler.secrets.handoff import secrets_file

    return secrets_file(
        target.format,
        bindings,
        catalog_root,
        secret_labels(desired, catalog_root),
        name=target.name,
    )
