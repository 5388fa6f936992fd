"""The files of a new catalog repository: a valid catalog (one credential, one model,
settings), sops set up for a fresh age key, CI workflows that use the composite action,
pre-commit hooks and a README. The age private key goes only to a git-ignored 0600 file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.scaffold import DEFAULT_REF, PLACEHOLDER_REPOSITORY
from reconciler.scaffold.age import AgeIdentity, new_identity

KEY_FILE = "age-key.txt"
# template in reconciler/scaffold/templates -> path in the new repository
FILES = (
    ("gitignore", ".gitignore"),
    ("sops.yaml", ".sops.yaml"),
    ("pre-commit-config.yaml", ".pre-commit-config.yaml"),
    ("README.md", "README.md"),
    ("settings.yaml", "catalog/settings.yaml"),
    ("credential.yaml", "catalog/credentials/openai.yaml"),
    ("model.yaml", "catalog/models/custom/gpt-4o-mini.yaml"),
    ("review.yml", ".github/workflows/review.yml"),
    ("apply.yml", ".github/workflows/apply.yml"),
    ("drift.yml", ".github/workflows/drift.yml"),
)
_REPOSITORY = re.compile(r"(?:<owner>|[A-Za-z0-9][A-Za-z0-9-]*)/[A-Za-z0-9._-]+")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_LEFT_ALONE = {".git"}  # `git init` first is fine


@dataclass(frozen=True)
class Scaffolded:
    root: Path
    files: list[str]  # relative paths, in the order written
    key_file: Path
    recipient: str
    tool_repository: str
    tool_ref: str


def _check_target(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise ReconcilerError(f"{root} is a file, not a directory", hint="name a new directory")
    if root.is_dir():
        present = sorted(p.name for p in root.iterdir() if p.name not in _LEFT_ALONE)
        if present:
            shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
            raise ReconcilerError(
                f"{root} is not empty ({shown}): init writes a new catalog repository and "
                "never overwrites files",
                hint="name a new or empty directory (an empty git repository is fine); to "
                "adopt an existing registry into a catalog, use 'reconciler export'",
            )


def _check_names(tool_repository: str, tool_ref: str) -> None:
    if not _REPOSITORY.fullmatch(tool_repository):
        raise ReconcilerError(
            f"--repository {tool_repository!r} is not OWNER/NAME",
            hint="the GitHub repository of llm-registry-reconciler, "
            "e.g. acme/llm-registry-reconciler",
        )
    if not _REF.fullmatch(tool_ref) or ".." in tool_ref:
        raise ReconcilerError(
            f"--ref {tool_ref!r} is not a git tag, branch or commit",
            hint=f"a release tag such as {DEFAULT_REF}, or a commit SHA",
        )


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(f"__{key}__", value)
    return template


def _write_new(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def scaffold(
    root: Path,
    *,
    tool_repository: str = PLACEHOLDER_REPOSITORY,
    tool_ref: str = DEFAULT_REF,
    identity: AgeIdentity | None = None,
) -> Scaffolded:
    _check_names(tool_repository, tool_ref)
    _check_target(root)
    identity = identity or new_identity()
    values = {
        "TOOL_REPOSITORY": tool_repository,
        "TOOL_REF": tool_ref,
        "AGE_RECIPIENT": identity.recipient,
        "KEY_FILE": KEY_FILE,
    }
    written: list[str] = []
    root.mkdir(parents=True, exist_ok=True)
    # the key first, 0600 from creation: there is never a moment it is readable by others
    key_file = root / KEY_FILE
    _write_new(key_file, identity.key_file(), mode=0o600)
    written.append(KEY_FILE)
    templates = resources.files("reconciler.scaffold") / "templates"
    for template, target in FILES:
        _write_new(root / target, _fill(templates.joinpath(template).read_text("utf-8"), values))
        written.append(target)
    for schema in sorted(resources.files("reconciler.schemas").iterdir(), key=lambda p: p.name):
        if schema.name.endswith(".schema.json"):
            _write_new(root / "schemas" / schema.name, schema.read_text("utf-8"))
            written.append(f"schemas/{schema.name}")
    return Scaffolded(root, written, key_file, identity.recipient, tool_repository, tool_ref)
