"""Connection-test results as a plain table (logs, CI), a rich table and a progress bar (a
terminal), and the words around them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from reconciler.providers.connection import ConnectionResult

NO_MODELS = "no models to test\n"


def _latency(result: ConnectionResult) -> str:
    return "-" if result.latency is None else f"{result.latency:.2f}s"


def render_plain(results: Sequence[ConnectionResult]) -> str:
    """A fixed-width table for logs and CI (errors are never wrapped)."""
    header = ("MODEL", "PROVIDER", "RESULT", "LATENCY", "ERROR")
    rows = [
        (r.slug, r.provider, "ok" if r.ok else "failed", _latency(r), r.error or "")
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append(("  ".join(cells) + "  " + row[4]).rstrip())
    return "\n".join(lines) + "\n"


def summary(results: Sequence[ConnectionResult]) -> str:
    ok = sum(r.ok for r in results)
    failed = len(results) - ok
    return f"{ok} ok, {failed} failed ({len(results)} model{'s' if len(results) != 1 else ''})"


def unused_credential_note(name: str) -> str:
    return f"note: credential '{name}' changes but no enabled model uses it: not tested\n"


def rich_table(results: Sequence[ConnectionResult]) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False)
    table.add_column("Model", no_wrap=True)
    table.add_column("Provider", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Latency", justify="right", no_wrap=True)
    table.add_column("Error", overflow="fold")
    for r in results:
        # cells are Text, not markup: provider messages may hold brackets
        table.add_row(
            Text(r.slug),
            Text(r.provider),
            Text("ok", style="green") if r.ok else Text("failed", style="red"),
            Text(_latency(r)),
            Text(r.error or ""),
        )
    return table


def write_results(results: Sequence[ConnectionResult], out: TextIO, *, tty: bool) -> None:
    """The final table and summary: rich on a terminal, plain otherwise."""
    if tty:
        from rich.console import Console

        console = Console(file=out)
        console.print(rich_table(results))
        console.print(summary(results), highlight=False, markup=False)
    else:
        out.write(render_plain(results))
        out.write(summary(results) + "\n")


@contextlib.contextmanager
def progress(total: int, err: TextIO) -> Iterator[Callable[[ConnectionResult], None]]:
    """A transient progress bar on ``err``; yields the callback each finished test calls."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=err)
    with Progress(
        TextColumn("testing connections"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)

        def advance(result: ConnectionResult) -> None:
            mark = "ok" if result.ok else "failed"
            bar.update(task, advance=1, description=f"{result.slug}: {mark}")

        yield advance
