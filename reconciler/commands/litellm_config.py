"""``reconciler litellm-config``: render the catalog as a LiteLLM proxy config.

Without ``--out`` the config goes to stdout. ``--check --out FILE`` compares FILE with the
rendering: exit 0 when equal, 2 (with a unified diff) when stale. ``--secrets-out FILE`` writes
the values of the secrets the config references (a dotenv file or a Kubernetes Secret, named
by ``--secret-name``; by default ``litellm-credentials[-<environment>]``).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import TextIO

from reconciler.errors import ReconcilerError
from reconciler.files import read_regular, write_atomic
from reconciler.pipeline import load
from reconciler.render.litellm_config import render_litellm_config
from reconciler.secrets.resolve import secret_labels
from reconciler.state.records import SecretRefDict
from reconciler.words import plural


def _read(path: Path) -> str:
    try:
        return read_regular(path)[0].decode("utf-8")  # never blocks on a FIFO
    except FileNotFoundError:
        raise ReconcilerError(
            f"{path} does not exist",
            hint=f"render it with 'reconciler litellm-config --out {path}'",
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ReconcilerError(f"cannot read {path}: {err}") from None


def _write(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"), hint="pass --out a file in a directory you can write")


def litellm_config(
    catalog_dir: str,
    out_file: str | None,
    check: bool,
    secrets_out: str | None = None,
    secrets_format: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    environment: str | None = None,
    secret_name: str | None = None,
) -> int:
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if check and out_file is None:
        raise ReconcilerError("--check needs --out FILE: the rendered config to compare")
    if check and secrets_out is not None:
        raise ReconcilerError(
            "--check only compares; --secrets-out belongs to the deployment that renders",
            hint="run them as two commands",
        )
    manifest_name = None
    if secrets_out is not None:
        from reconciler.secrets.handoff import check_destination, format_for

        # before the config is written or printed: a refused destination leaves nothing done
        check_destination(Path(secrets_out))
        secrets_format = format_for(secrets_out, secrets_format)
        manifest_name = _manifest_name(secrets_format, environment, secret_name)
    elif secret_name is not None:
        raise ReconcilerError(
            "--secret-name names the Kubernetes Secret that --secrets-out writes",
            hint="add --secrets-out FILE.yaml, or leave --secret-name out",
        )
    loaded = load(catalog_dir, environment)
    config = render_litellm_config(loaded.desired)
    text = config.text()
    code = 0
    if check:
        assert out_file is not None
        current = _read(Path(out_file))
        if current != text:
            out.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{out_file} (current)",
                    tofile=f"{out_file} (rendered from {_source(catalog_dir, environment)})",
                )
            )
            again = f"reconciler litellm-config --catalog {catalog_dir}"
            if environment is not None:
                again += f" --environment {environment}"
            err.write(f"{out_file} is stale: render it again with '{again} --out {out_file}'\n")
            code = 2
    elif out_file is not None:
        _write(Path(out_file), text)
    else:
        out.write(text)
    if secrets_out is not None:
        from reconciler.secrets.handoff import write_secrets

        assert secrets_format is not None
        bindings: dict[str, SecretRefDict] = {b.variable: b.ref for b in config.bindings}
        written = write_secrets(
            Path(secrets_out),
            secrets_format,
            bindings,
            loaded.root,
            secret_labels(loaded.desired, loaded.root),
            name=manifest_name,
        )
        named = "" if manifest_name is None else f" as the Secret {manifest_name}"
        err.write(f"wrote {plural(written, 'secret value')} to {secrets_out}{named} (mode 0600)\n")
    return code


def _source(catalog_dir: str, environment: str | None) -> str:
    return catalog_dir if environment is None else f"{catalog_dir}, environment {environment}"


def _manifest_name(fmt: str, environment: str | None, name: str | None) -> str | None:
    """The Kubernetes Secret's name (None for a dotenv file, which has none)."""
    from reconciler.secrets.handoff import secret_name

    if fmt == "kubernetes":
        return secret_name(environment, name)
    if name is not None:
        raise ReconcilerError(
            "--secret-name names a Kubernetes Secret, but --secrets-out writes a dotenv file",
            hint="write the Secret to a *.yaml file (or pass --secrets-format kubernetes)",
        )
    return None
