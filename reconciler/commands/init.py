"""``reconciler init [DIR]``: scaffold a catalog repository (reconciler.scaffold)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from reconciler.scaffold import PLACEHOLDER_REPOSITORY
from reconciler.scaffold.repository import scaffold


def init(directory: str, tool_repository: str, tool_ref: str, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    done = scaffold(Path(directory), tool_repository=tool_repository, tool_ref=tool_ref)
    out.write(f"Created a catalog repository in {done.root}/:\n")
    for name in done.files:
        if not name.startswith("schemas/"):
            out.write(f"  {name}\n")
    out.write("  schemas/*.schema.json (for editors)\n\n")
    out.write(
        f"The age private key is in {done.key_file} (mode 0600, git-ignored; the recipient\n"
        f"{done.recipient} is in .sops.yaml). Store it as the CI secret SOPS_AGE_KEY:\n"
        f"  gh secret set SOPS_AGE_KEY < {done.key_file}\n"
        "and in your password manager; never commit it.\n"
    )
    if done.tool_repository == PLACEHOLDER_REPOSITORY:
        out.write(
            "The workflows and .pre-commit-config.yaml name "
            f"{PLACEHOLDER_REPOSITORY}@{done.tool_ref}:\nreplace <owner> (or rerun with "
            "--repository OWNER/NAME).\n"
        )
    out.write(f"Next: the checklist in {done.root}/README.md, then reconciler validate.\n")
    return 0
