"""``reconciler litellm-config``: render the catalog as a LiteLLM proxy config.

Without ``--out`` the config goes to stdout. ``--check --out FILE`` compares FILE with the
rendering: exit 0 when equal, 2 (with a unified diff, secret values hidden) when stale, 1 when
FILE is no LiteLLM config (never shown). ``--out FILE`` is refused, before anything is written,
when it is the secrets file, inside the catalog, not a regular file, or an existing file that
is not a LiteLLM config. ``--secrets-out FILE`` writes the values of the secrets the config
references (a dotenv file or a Kubernetes Secret, named by ``--secret-name``; by default
``litellm-credentials[-<environment>]``); it is refused where a secret must not go (stdout, a
terminal, the catalog, a path in a git work tree that git does not ignore). Every value is
resolved before anything is written, and the config and the secrets file are written together:
a failure leaves both as they were. The document is reconciler.litellm.config's, the checks
reconciler.litellm.outputs'; the words are reconciler.render.litellm_config's and
litellm_outputs'.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from reconciler.files import Output, write_together
from reconciler.litellm.config import Clashes, build_config
from reconciler.litellm.outputs import (
    BadSecretName,
    Refusal,
    SecretsOut,
    SecretsRefused,
    Stale,
    WrongFile,
    compare,
    out_refusal,
    refusal,
    resolve_secrets,
    secrets_target,
)
from reconciler.pipeline import load
from reconciler.render.litellm_config import clashes_error, config_text
from reconciler.render.litellm_outputs import (
    OUT_NOT_WRITABLE,
    SECRETS_NOT_WRITABLE,
    bad_secret_name,
    out_refused,
    refused,
    secrets_refused,
    secrets_written,
    stale_diff,
    stale_notice,
    unreadable,
    wrong_file,
)

STALE = 2
SECRETS_MODE = 0o600


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
    clash = refusal(
        check=check, out_file=out_file, secrets_out=secrets_out, secret_name=secret_name
    )
    if clash is not None:
        raise refused(clash)
    if out_file is not None and not check:
        bad_out = out_refusal(out_file, secrets_out=secrets_out, catalog_dir=catalog_dir)
        if bad_out is not None:
            raise out_refused(bad_out)
    target: SecretsOut | None = None
    if secrets_out is not None:
        found = secrets_target(
            secrets_out, secrets_format, environment, secret_name, catalog_dir=catalog_dir
        )
        if isinstance(found, SecretsRefused):
            raise secrets_refused(found)
        if isinstance(found, Refusal):
            raise refused(found)
        if isinstance(found, BadSecretName):
            raise bad_secret_name(found)
        target = found
    loaded = load(catalog_dir, environment)
    config = build_config(loaded.desired)
    if isinstance(config, Clashes):
        raise clashes_error(config)
    text = config_text(config)
    if check and out_file is not None:
        return _check(out_file, text, catalog_dir, environment, out, err)
    outputs: list[Output] = []
    count = 0
    if target is not None:  # every value read before anything is written
        secrets = resolve_secrets(target, config.secret_references(), loaded.desired, loaded.root)
        count = secrets.count
        data = secrets.text.encode("utf-8")
        outputs.append(Output(target.path, data, SECRETS_NOT_WRITABLE, SECRETS_MODE))
    if out_file is not None:
        outputs.append(Output(Path(out_file), text.encode("utf-8"), OUT_NOT_WRITABLE))
    write_together(outputs)
    if out_file is None:  # after the secrets file: a failure to write it prints no config
        out.write(text)
    if target is not None:
        err.write(secrets_written(count, target))
    return 0


def _check(
    out_file: str, text: str, catalog_dir: str, environment: str | None, out: TextIO, err: TextIO
) -> int:
    """``--check``: 0 when ``out_file`` holds ``text``, STALE with a diff when it differs."""
    compared = compare(out_file, text)
    if isinstance(compared, Stale):
        out.write(stale_diff(compared, catalog_dir, environment))
        err.write(stale_notice(compared, catalog_dir, environment))
        return STALE
    if isinstance(compared, WrongFile):
        raise wrong_file(compared)
    if compared is not None:
        raise unreadable(compared)
    return 0
