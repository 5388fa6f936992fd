"""The words of ``litellm-config`` around the config (reconciler.render.litellm_config renders
the config itself): options, ``--out`` and ``--secrets-out`` files refused, a stale ``--check``
file as a unified diff (what could be a secret hidden), a file that is no LiteLLM config
described by its shape only, the secret values written."""

from __future__ import annotations

import difflib

from reconciler.errors import OutputError, ReconcilerError, UnsafeDestinationError
from reconciler.litellm.outputs import (
    K8S_NAME_MAX,
    BadSecretName,
    Missing,
    OutProblem,
    OutRefused,
    Refusal,
    SecretsOut,
    SecretsProblem,
    SecretsRefused,
    Stale,
    Unreadable,
    WrongFile,
)
from reconciler.litellm.recognize import Hidden, NotAConfig, Shape, Shown
from reconciler.words import plural

OUT_NOT_WRITABLE = "pass --out a file in a directory you can write"
SECRETS_NOT_WRITABLE = (
    "pass --secrets-out a file in a directory you can write, outside the repository"
)
# what takes the place of a hidden value or comment in --check's diff
HIDDEN_WORDS: dict[Hidden, str] = {
    Hidden.SECRET: "<hidden: not an os.environ/ reference>",
    Hidden.COMMENT: "# <comment hidden>",
}
SHAPES: dict[Shape, str] = {
    Shape.NOT_TEXT: "it is not UTF-8 text",
    Shape.DOTENV: "it holds NAME=value lines, like the dotenv file --secrets-out writes",
    Shape.NOT_YAML: "it does not read as one YAML document",
    Shape.NOT_MAPPING: "it is YAML, but not a mapping",
    Shape.SOPS: "it is a SOPS-encrypted file",
    Shape.KUBERNETES: (
        "it is a Kubernetes manifest (apiVersion and kind), like the Secret --secrets-out writes"
    ),
    Shape.CATALOG: "it is a catalog document (a model, credential or settings file)",
    Shape.NO_MODEL_LIST: "it is a YAML mapping without model_list, which every rendered config has",
}
_NOT_SHOWN = "its content is not shown, as it may hold secrets"


def refused(refusal: Refusal) -> ReconcilerError:
    """The error for options that do not go together: what clashes, and what to do."""
    match refusal:
        case Refusal.CHECK_NEEDS_OUT:
            return ReconcilerError("--check needs --out FILE: the rendered config to compare")
        case Refusal.CHECK_WRITES_NO_SECRETS:
            return ReconcilerError(
                "--check only compares; --secrets-out belongs to the deployment that renders",
                hint="run them as two commands",
            )
        case Refusal.NAME_WITHOUT_SECRETS_OUT:
            return ReconcilerError(
                "--secret-name names the Kubernetes Secret that --secrets-out writes",
                hint="add --secrets-out FILE.yaml, or leave --secret-name out",
            )
        case Refusal.NAME_FOR_DOTENV:
            return ReconcilerError(
                "--secret-name names a Kubernetes Secret, but --secrets-out writes a dotenv file",
                hint="write the Secret to a *.yaml file (or pass --secrets-format kubernetes)",
            )


def bad_secret_name(problem: BadSecretName) -> ReconcilerError:
    """The error for a ``--secret-name`` Kubernetes would refuse: what a name may hold."""
    return ReconcilerError(
        f"--secret-name {problem.name!r} is not a Kubernetes object name",
        hint="use lowercase letters, digits, '-' and '.', starting and ending with a "
        f"letter or digit, at most {K8S_NAME_MAX} characters",
    )


def unreadable(problem: Missing | Unreadable) -> ReconcilerError:
    """The error when ``--check``'s file cannot be compared."""
    match problem:
        case Missing(path):
            return ReconcilerError(
                f"{path} does not exist",
                hint=f"render it with 'reconciler litellm-config --out {path}'",
            )
        case Unreadable(path, reason):
            return ReconcilerError(f"cannot read {path}: {reason}")


def _where(file: object, found: NotAConfig) -> str:
    """``FILE`` or ``FILE:line:col`` where YAML reading stopped."""
    if found.line is None:
        return str(file)
    return f"{file}:{found.line}:{found.column}"


def wrong_file(problem: WrongFile) -> ReconcilerError:
    """The error when ``--check``'s file is not a LiteLLM config: what it looks like, never
    what it holds."""
    return ReconcilerError(
        f"{_where(problem.path, problem.found)}: --check compares a LiteLLM config rendered by "
        f"litellm-config, and this file is not one: {SHAPES[problem.found.shape]}; "
        f"{_NOT_SHOWN}",
        hint="pass --out the file 'reconciler litellm-config --out FILE' wrote (the one the "
        "proxy reads)",
    )


def out_refused(refusal: OutRefused) -> OutputError:
    """The error for an ``--out`` file that is not written: why, and what to do."""
    file = refusal.file
    match refusal.problem:
        case OutProblem.SECRETS_OUT:
            return OutputError(
                f"--out {file} is also --secrets-out: the config would be overwritten by the "
                "secret values; nothing was written",
                hint="write the config and the secrets to two files, the secrets outside the "
                "repository",
            )
        case OutProblem.IN_CATALOG:
            return OutputError(
                f"--out {file} is inside the catalog directory {refusal.catalog}, whose YAML "
                "files are all read as catalog documents; nothing was written",
                hint="write the config outside the catalog, e.g. --out deploy/litellm/config.yaml",
            )
        case OutProblem.SYMLINK:
            return OutputError(
                f"--out {file} is a symbolic link: writing would replace the link, not the file "
                "it points to; nothing was written",
                hint="name the file itself (without --out the config goes to stdout)",
            )
        case OutProblem.NOT_REGULAR:
            return OutputError(
                f"--out {file} is {refusal.detail}, not a regular file; nothing was written",
                hint="name a file (without --out the config goes to stdout)",
            )
        case OutProblem.UNREADABLE:
            return OutputError(
                f"--out {file} exists and cannot be read to check that it is a rendered "
                f"LiteLLM config ({refusal.detail}); nothing was written",
                hint="name another file, or remove this one if it is yours to replace",
            )
        case OutProblem.NOT_A_CONFIG:
            found = refusal.found or NotAConfig(Shape.NO_MODEL_LIST)
            return OutputError(
                f"{_where(file, found)}: --out would overwrite a file that is not a LiteLLM "
                f"config: {SHAPES[found.shape]}; nothing was written",
                hint="check the path; to replace this file, remove it first",
            )


# a tmpfs keeps the values off the disk as well; $RUNNER_TEMP is removed after each CI job
_OUTSIDE = (
    "write the secrets outside the repository, e.g. on a tmpfs such as /dev/shm or to "
    "$RUNNER_TEMP in CI"
)


def secrets_refused(refusal: SecretsRefused) -> UnsafeDestinationError:
    """The error for a ``--secrets-out`` file that is not written: why, and where to write the
    secret values instead."""
    file = refusal.file
    match refusal.problem:
        case SecretsProblem.STDOUT:
            return UnsafeDestinationError(
                "--secrets-out refuses to write secret values to stdout or stderr; nothing was "
                "written",
                hint="name a file outside the repository",
            )
        case SecretsProblem.SYMLINK:
            return UnsafeDestinationError(
                f"--secrets-out {file}: a symbolic link (such as /dev/stdout); secret values are "
                "only written to a regular file; nothing was written",
                hint="name the file itself, outside the repository",
            )
        case SecretsProblem.NOT_REGULAR:
            return UnsafeDestinationError(
                f"--secrets-out {file}: not a regular file (a terminal, a pipe or a device); "
                "secret values are only written to a file; nothing was written",
                hint="name a file outside the repository, e.g. in the deploy job's temporary "
                "directory",
            )
        case SecretsProblem.NO_DIRECTORY:
            return UnsafeDestinationError(
                f"--secrets-out {file}: the directory {refusal.where} does not exist; nothing "
                "was written",
                hint="create the directory first, outside the repository",
            )
        case SecretsProblem.IN_CATALOG:
            return UnsafeDestinationError(
                f"--secrets-out {file} is inside the catalog directory {refusal.where}, which is "
                "committed and read as catalog documents; nothing was written",
                hint=_OUTSIDE,
            )
        case SecretsProblem.GIT_TRACKED:
            return UnsafeDestinationError(
                f"--secrets-out {file}: git tracks this file; secret values must not be "
                "committed; nothing was written",
                hint=_OUTSIDE,
            )
        case SecretsProblem.NOT_IGNORED:
            return UnsafeDestinationError(
                f"--secrets-out {file} is in the git work tree {refusal.where} and git does not "
                "ignore it: the secret values would be one 'git add' away from a commit; nothing "
                "was written",
                hint=f"add it to .gitignore, or {_OUTSIDE}",
            )


def shown_text(shown: Shown) -> str:
    """A config's text with what is hidden in words."""
    return "".join(piece if isinstance(piece, str) else HIDDEN_WORDS[piece] for piece in shown)


def _source(catalog_dir: str, environment: str | None) -> str:
    return catalog_dir if environment is None else f"{catalog_dir}, environment {environment}"


def stale_diff(stale: Stale, catalog_dir: str, environment: str | None) -> str:
    """What would change in the file: a unified diff from it to the rendering, secret values
    and comments hidden (the rendering holds neither)."""
    return "".join(
        difflib.unified_diff(
            shown_text(stale.current).splitlines(keepends=True),
            shown_text(stale.rendered).splitlines(keepends=True),
            fromfile=f"{stale.file} (current)",
            tofile=f"{stale.file} (rendered from {_source(catalog_dir, environment)})",
        )
    )


def stale_notice(stale: Stale, catalog_dir: str, environment: str | None) -> str:
    """The line that says the file is stale and how to render it again."""
    again = f"reconciler litellm-config --catalog {catalog_dir}"
    if environment is not None:
        again += f" --environment {environment}"
    return f"{stale.file} is stale: render it again with '{again} --out {stale.file}'\n"


def secrets_written(count: int, target: SecretsOut) -> str:
    named = "" if target.name is None else f" as the Secret {target.name}"
    return f"wrote {plural(count, 'secret value')} to {target.file}{named} (mode 0600)\n"
