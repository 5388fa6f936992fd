"""What export says when it is done: counts, placeholders to wire, names a catalog rejects."""

from __future__ import annotations

from pathlib import Path

from reconciler.catalog.spec import NAME_PATTERN, PATTERN_HELP, SLUG_PATTERN
from reconciler.errors import OutputError
from reconciler.export.documents import Export, Invalid
from reconciler.export.names import quoted
from reconciler.export.sops import SopsCopies
from reconciler.words import plural

SHOWN = 10  # unmanaged rows named before "and N more"


def out_not_a_directory(out_dir: str, kind: str) -> OutputError:
    """export --out names something that is not a directory (/dev/null, a FIFO)."""
    return OutputError(
        f"--out {out_dir} is {kind}, not a directory: export writes a catalog directory there; "
        "nothing was written",
        hint="name a new or empty directory, e.g. --out exported",
    )


def render_export(result: Export, root: Path, sops: SopsCopies | None = None) -> str:
    text = (
        f"Exported {plural(result.credentials, 'credential')}, "
        f"{plural(result.models, 'model')} and "
        f"{'the' if result.settings else 'no'} settings to {root}/\n"
    )
    if result.placeholders:
        verb = "uses" if result.placeholders == 1 else "use"
        text += (
            f"{plural(result.placeholders, 'credential file')} {verb} env placeholders: wire "
            "their secrets before applying (see the comments in those files).\n"
        )
    if sops is not None:
        text += render_sops_copies(sops, root)
    return text + _unmanaged(result.unmanaged, root) + _invalid(result.invalid, root)


def _unmanaged(rows: list[tuple[str, str]], root: Path) -> str:
    """Rows the application created: plan refuses to change them until they are adopted."""
    if not rows:
        return ""
    shown = [f"{kind} {quoted(name)}" if name else kind for kind, name in rows[:SHOWN]]
    more = f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    return (
        f"note: {plural(len(rows), 'exported row')} {'was' if len(rows) == 1 else 'were'} "
        f"created in the application, not by the reconciler: {', '.join(shown)}{more}. "
        "Plan and apply refuse to change them unless they are adopted: run "
        f"'reconciler plan --catalog {root} --adopt', then apply with --adopt.\n"
    )


def _name_help(kind: str) -> str:
    if kind == "model":
        return f"a model slug {PATTERN_HELP[SLUG_PATTERN]}"
    return f"a credential name {PATTERN_HELP[NAME_PATTERN]}"


def _invalid(invalid: Invalid, root: Path) -> str:
    if not invalid.names and not invalid.references:
        return ""
    lines = []
    if invalid.names:
        lines.append(
            f"warning: {plural(len(invalid.names), 'exported name')} "
            f"{'is' if len(invalid.names) == 1 else 'are'} not valid in a catalog, so validate "
            "will reject the files that hold them (each is marked with a comment at the top):"
        )
        for kind, name, path in invalid.names:
            lines.append(f"  {kind} {quoted(name)}: {path.relative_to(root).as_posix()}")
    if invalid.references:
        if not invalid.names:
            lines.append("warning: exported files refer to names that are not valid in a catalog:")
        for path, what in invalid.references:
            lines.append(f"  {path.relative_to(root).as_posix()}: {what}")
    for kind in sorted({kind for kind, _, _ in invalid.names}):
        lines.append(f"  {_name_help(kind)}.")
    lines.append(
        "  Before adopting, rename them in the application and export again; or leave them "
        "unmanaged: delete their files (and references to them) from the exported catalog."
    )
    return "\n".join(lines) + "\n"


def render_sops_copies(sops: SopsCopies, root: Path) -> str:
    """The SOPS files export copied (still encrypted), and those it could not, with what to do."""
    text = ""
    if sops.files:
        text += (
            f"Copied {plural(len(sops.files), 'SOPS file')} the credentials refer to (still "
            f"encrypted): {', '.join(sops.files)}\n"
        )
    if sops.missing:
        text += (
            f"warning: {plural(len(sops.missing), 'SOPS file')} the credentials refer to "
            f"{'was' if len(sops.missing) == 1 else 'were'} not copied, so validate reports "
            "secret-file-missing until each is in place:\n"
        )
        for file, reason in sops.missing:
            text += f"  {file}: {reason}; copy the encrypted file to {root / file}\n"
        text += (
            "  (or run export with --catalog naming the catalog the registry was applied from)\n"
        )
    return text
