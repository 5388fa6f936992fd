"""The words of ``litellm-config`` around the config (reconciler.render.litellm_config renders
the config itself): options refused, a stale ``--check`` file as a unified diff, the secret
values written."""

from __future__ import annotations

import difflib

from reconciler.errors import ReconcilerError
from reconciler.litellm.outputs import Missing, Refusal, SecretsOut, Stale, Unreadable
from reconciler.words import plural

OUT_NOT_WRITABLE = "pass --out a file in a directory you can write"


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


def _source(catalog_dir: str, environment: str | None) -> str:
    return catalog_dir if environment is None else f"{catalog_dir}, environment {environment}"


def stale_diff(stale: Stale, catalog_dir: str, environment: str | None) -> str:
    """What would change in the file: a unified diff from it to the rendering."""
    return "".join(
        difflib.unified_diff(
            stale.current.splitlines(keepends=True),
            stale.rendered.splitlines(keepends=True),
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
