"""What export says when it is done: counts, placeholders to wire, names a catalog rejects."""

from __future__ import annotations

from pathlib import Path

from reconciler.catalog.spec import NAME_PATTERN, PATTERN_HELP, SLUG_PATTERN
from reconciler.export.documents import Export, Invalid
from reconciler.export.names import quoted
from reconciler.words import plural


def render_export(result: Export, root: Path) -> str:
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
    return text + _invalid(result.invalid, root)


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
