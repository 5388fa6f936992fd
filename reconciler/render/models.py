"""``models`` output: JSON rows, or one rich table per category, with a note on the models
whose key the registry does not hold."""

from __future__ import annotations

import json
from typing import Any, TextIO

from reconciler.errors import ReconcilerError
from reconciler.render.values import one_line
from reconciler.words import did_you_mean

CATEGORIES = ("premium", "standard", "budget", None)


def _credential_label(row: dict[str, Any]) -> str:
    """What the Credential column shows: the row's credential, else where a key would come
    from (the JSON's ``credential_source``)."""
    source = row["credential_source"]
    if source == "credential":
        return str(row["credential"])
    if row["fallback_env"]:  # the application's environment, not this shell's
        return "env " + " or ".join(row["fallback_env"])
    return "-" if source is None else str(source).replace("_", " ")


def _cell(value: Any) -> str:
    """A registry value as a table cell: one line, control characters escaped, and rich
    markup (``[red]``) shown as written. Rows the application wrote may hold anything."""
    from rich.markup import escape

    return escape(one_line(str(value)))


def unknown_provider(name: str, known: list[str]) -> ReconcilerError:
    """``models --provider`` with a name no provider has: a typo, not an empty list."""
    return ReconcilerError(
        f"unknown provider '{one_line(name)}'; the providers: {', '.join(known)}"
        + did_you_mean(name, known),
        hint="'reconciler models' without --provider lists every model",
    )


def render_json(rows: list[dict[str, Any]], out: TextIO) -> None:
    out.write(json.dumps(rows, indent=2) + "\n")


def render_tables(rows: list[dict[str, Any]], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    # emoji=False: a name such as ":fire:" shows as written
    console = Console(file=out, width=max(120, Console(file=out).width), emoji=False)
    if not rows:
        console.print("No models match.")
        return
    for cat in CATEGORIES:
        group = [r for r in rows if r["category"] == cat]
        if not group:
            continue
        table = Table(title=(cat or "uncategorized").capitalize(), title_justify="left")
        columns = ("Slug", "Model", "Provider", "Context", "Max output", "Credential", "Status")
        for column in columns:
            table.add_column(
                column, justify="right" if column in ("Context", "Max output") else "left"
            )
        for r in group:
            status = r["status"] + (" (no key!)" if r["key_missing"] else "")
            table.add_row(
                _cell(r["slug"]),
                f"{_cell(r['display_name'])}\n[dim]{_cell(r['model_id'])}[/dim]",
                _cell(r["provider"]),
                f"{r['context_window']:,}",
                f"{r['max_output_tokens']:,}" if r["max_output_tokens"] else "-",
                _cell(_credential_label(r)),
                _cell(status),
            )
        console.print(table)
    missing = [_cell(r["slug"]) for r in rows if r["key_missing"]]
    if missing:
        console.print(
            f"[yellow]warning:[/yellow] {len(missing)} enabled model(s) have no credential and "
            f"their provider reads no API key variable: {', '.join(missing)}"
        )
    from_env = [_cell(r["slug"]) for r in rows if r["fallback_env"]]
    if from_env:
        console.print(
            f"note: {len(from_env)} enabled model(s) have no credential in the registry; the "
            f"application reads their key from its own environment (the 'env' variables "
            f"above): {', '.join(from_env)}"
        )
