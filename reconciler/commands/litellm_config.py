"""``reconciler litellm-config``: render the catalog as a LiteLLM proxy config.

Without ``--out`` the config goes to stdout. ``--check --out FILE`` compares FILE with the
rendering: exit 0 when equal, 2 (with a unified diff, secret values hidden) when stale, 1 when
FILE is no LiteLLM config (never shown). ``--out FILE`` is refused, before anything is written,
when it is the secrets file, inside the catalog, not a regular file, or an existing file that
is not a LiteLLM config. ``--secrets-out FILE`` writes
the values of the secrets the config references (a dotenv file or a Kubernetes Secret, named
by ``--secret-name``; by default ``litellm-credentials[-<environment>]``). The checks are
reconciler.litellm.outputs'; the words reconciler.render.litellm_outputs'.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from reconciler.files import write_atomic
from reconciler.litellm.outputs import (
    Refusal,
    SecretsOut,
    Stale,
    WrongFile,
    compare,
    hand_over,
    out_refusal,
    refusal,
    secrets_target,
)
from reconciler.pipeline import load
from reconciler.render.litellm_config import render_litellm_config
from reconciler.render.litellm_outputs import (
    OUT_NOT_WRITABLE,
    out_refused,
    refused,
    secrets_written,
    stale_diff,
    stale_notice,
    unreadable,
    wrong_file,
)

STALE = 2


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
        found = secrets_target(secrets_out, secrets_format, environment, secret_name)
        if isinstance(found, Refusal):
            raise refused(found)
        target = found
    loaded = load(catalog_dir, environment)
    config = render_litellm_config(loaded.desired)
    text = config.text()
    code = 0
    if check and out_file is not None:
        compared = compare(out_file, text)
        if isinstance(compared, Stale):
            out.write(stale_diff(compared, catalog_dir, environment))
            err.write(stale_notice(compared, catalog_dir, environment))
            code = STALE
        elif isinstance(compared, WrongFile):
            raise wrong_file(compared)
        elif compared is not None:
            raise unreadable(compared)
    elif out_file is not None:
        write_atomic(Path(out_file), text.encode("utf-8"), hint=OUT_NOT_WRITABLE)
    else:
        out.write(text)
    if target is not None:
        written = hand_over(target, config.secret_references(), loaded.desired, loaded.root)
        err.write(secrets_written(written, target))
    return code
