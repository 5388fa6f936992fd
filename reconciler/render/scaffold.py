"""What ``reconciler init`` says about the repository it made (the files, where the age key is
and how to store it, what to do next), and what ``reconciler new`` wrote."""

from __future__ import annotations

from reconciler.scaffold import PLACEHOLDER_REPOSITORY
from reconciler.scaffold.new import FROM_LITELLM, Written
from reconciler.scaffold.repository import Scaffolded


def render_scaffolded(done: Scaffolded) -> str:
    lines = [f"Created a catalog repository in {done.root}/:\n"]
    lines += [f"  {name}\n" for name in done.files if not name.startswith("schemas/")]
    lines.append("  schemas/*.schema.json (for editors)\n\n")
    lines.append(
        f"The age private key is in {done.key_file} (mode 0600, git-ignored; the recipient\n"
        f"{done.recipient} is in .sops.yaml). Store it as the CI secret SOPS_AGE_KEY:\n"
        f"  gh secret set SOPS_AGE_KEY < {done.key_file}\n"
        "and in your password manager; never commit it.\n"
    )
    if done.tool_repository == PLACEHOLDER_REPOSITORY:
        lines.append(
            "The workflows and .pre-commit-config.yaml name "
            f"{PLACEHOLDER_REPOSITORY}@{done.tool_ref}:\nreplace <owner> (or rerun with "
            "--repository OWNER/NAME).\n"
        )
    lines.append(f"Next: the checklist in {done.root}/README.md, then reconciler validate.\n")
    return "".join(lines)


def render_written(written: Written) -> str:
    text = f"wrote {written.path}\n"
    if written.filled:
        filled = ", ".join(written.filled)
        text += f"filled {filled} {FROM_LITELLM} ({written.key}); check them\n"
    if written.fallback_env:
        variables = " or ".join(written.fallback_env)
        text += (
            f"no credential: at runtime the model uses the provider's environment variable "
            f"{variables}\n"
        )
    elif written.fallback_env is not None:
        text += (
            "no credential, and its provider has no environment variable to fall back on: "
            "add credential: before the model is used\n"
        )
    return text


def render_cancelled(kind: str) -> str:
    """``new model`` / ``new credential`` stopped at a question (Ctrl-C or Ctrl-D)."""
    return f"New {kind} cancelled; nothing was written.\n"
