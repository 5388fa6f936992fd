"""The SOPS files an exported catalog refers to: copied, still encrypted, from the catalog the
registry was applied from (same relative path inside --out), or listed with what to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from reconciler.catalog.rules import check_sops_path, is_sops_encrypted
from reconciler.state.live import LiveCredential


@dataclass
class SopsCopies:
    """``files``: destination path (relative) -> encrypted bytes to write; ``missing``: the
    referenced files not copied, each with the reason."""

    files: dict[str, bytes] = field(default_factory=dict)
    missing: list[tuple[str, str]] = field(default_factory=list)


def referenced_files(credentials: Iterable[LiveCredential]) -> list[str]:
    """Every SOPS file a credential's secret reference names, sorted."""
    found: set[str] = set()
    for cred in credentials:
        for secret in cred.secrets.values():
            sops = secret.ref.get("sops") if secret.ref else None
            if isinstance(sops, dict) and isinstance(sops.get("file"), str):
                found.add(sops["file"])
    return sorted(found)


def collect(files: list[str], catalog: Path) -> SopsCopies:
    """Read each file from ``catalog`` (never decrypting it); what cannot be copied is listed."""
    result = SopsCopies()
    for file in files:
        reason = _unusable(file, catalog)
        if reason is None:
            try:
                result.files[file] = (catalog / file).read_bytes()
                continue
            except OSError as err:
                reason = err.strerror or type(err).__name__
        result.missing.append((file, reason))
    return result


def _unusable(file: str, catalog: Path) -> str | None:
    if not catalog.is_dir():
        return f"no catalog directory {catalog} to copy it from"
    if ".." in PurePosixPath(file).parts:
        return "its path leaves the catalog"
    problem = check_sops_path(catalog, file)
    if problem is not None:
        code, _ = problem
        return (
            "its path leaves the catalog"
            if code == "secret-path-escapes"
            else f"not found in {catalog}"
        )
    if not is_sops_encrypted(catalog / file):
        return f"{catalog / file} is not SOPS-encrypted, so it is not copied"
    return None
