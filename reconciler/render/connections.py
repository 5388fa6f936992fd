"""Connection-test results as a plain table (logs, CI), a rich table and a progress bar (a
terminal), and the words around them."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from reconciler.errors import ProviderError
from reconciler.providers.connection import ConnectionGate, ConnectionResult, shorten
from reconciler.providers.failures import CallFailure, FailureKind, NotTested, NotTestedKind
from reconciler.render.values import one_line
from reconciler.words import plural

NO_MODELS = "no models to test\n"
NO_CHANGED_MODELS = "No created or changed models to test.\n"
NOT_TESTED = "not tested: "

# litellm appends advice meant for programmers catching its exceptions
_LITELLM_ADVICE = re.compile(r"\s*Handle with `?litellm\.\w+`?\.?")


def describe_failure(failure: CallFailure) -> str:
    """One line: what failed, where, and (for an HTTP status) what the provider said."""
    where = failure.host or "the provider's API"
    detail = _LITELLM_ADVICE.sub("", " ".join(failure.detail.split())).strip()
    match failure.kind:
        case FailureKind.DNS:
            reason = detail or "name not found"
            return f"DNS: cannot resolve {where} ({reason}); check the base URL and the network"
        case FailureKind.REFUSED:
            return f"connection refused by {where}; is the server running and the port right?"
        case FailureKind.TIMEOUT:
            within = "" if failure.timeout is None else f" within {failure.timeout:g} s"
            return f"Timeout: no answer from {where}{within}"
        case FailureKind.TLS:
            return (
                f"TLS handshake with {where} failed ({detail}); does the URL's scheme "
                "(https or http) match the server?"
            )
        case FailureKind.HTTP_STATUS:
            name = f" {failure.error_class}" if failure.error_class else ""
            return f"HTTP {failure.status}{name} from {where}: {detail or '(no message)'}"
        case FailureKind.CONNECTION:
            return f"cannot connect to {where}: {detail}"
    name = f"{failure.error_class}: " if failure.error_class else ""
    return f"{name}{detail}" if detail else name.rstrip(": ") or "failed"


def describe_not_tested(why: NotTested) -> str:
    """Why no call was made: what is missing, and (for a credential) what was looked for."""
    match why.kind:
        case NotTestedKind.UNSUPPORTED_PROVIDER:
            return f"no litellm route for provider '{why.provider}'"
        case NotTestedKind.NO_PLATFORM_CREDENTIAL:
            reason = f"no platform_credential in Settings, and {', '.join(why.env)} is not set"
        case NotTestedKind.NO_CREDENTIAL:
            reason = f"no credential, and none of {', '.join(why.env)} is set"
        case NotTestedKind.NEEDS_CREDENTIAL:
            reason = f"a {why.provider} model needs a credential"
        case NotTestedKind.UNKNOWN_CREDENTIAL:
            reason = f"credential '{why.credential}' is not in the catalog"
        case NotTestedKind.SECRETS_UNRESOLVED:
            unread = "; ".join(f"{s.field} ({s.source}): {s.why}" for s in why.secrets)
            reason = f"credential '{why.credential}': {unread}"
        case NotTestedKind.NOT_RESOLVED:
            reason = why.detail
    return NOT_TESTED + reason


def error_text(result: ConnectionResult) -> str | None:
    """What went wrong, on one line and shortened (None when the call succeeded)."""
    if result.failure is not None:  # a provider's message may hold anything
        return shorten(one_line(" ".join(describe_failure(result.failure).split())))
    if result.not_tested is not None:
        return describe_not_tested(result.not_tested)
    return None


def _result(result: ConnectionResult) -> str:
    return "ok" if result.ok else "failed"


def _latency(result: ConnectionResult) -> str:
    return "-" if result.latency is None else f"{result.latency:.2f}s"


def render_plain(results: Sequence[ConnectionResult]) -> str:
    """A fixed-width table for logs and CI (errors are never wrapped)."""
    header = ("MODEL", "PROVIDER", "RESULT", "LATENCY", "ERROR")
    rows = [
        # slugs may come from the registry, where the application may have written anything
        (one_line(r.slug), one_line(r.provider), _result(r), _latency(r), error_text(r) or "")
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


def render_gate(gate: ConnectionGate) -> str:
    """What ``apply --test-connections`` prints before it writes or refuses: the plain table,
    or that the change creates or changes no model."""
    return render_plain(gate.results) if gate.results else NO_CHANGED_MODELS


def gate_refused(slugs: Sequence[str]) -> ProviderError:
    """apply --test-connections refuses: these models failed their live call."""
    return ProviderError(
        f"apply refused: {plural(len(slugs), 'model')} failed the connection test "
        f"({', '.join(one_line(s) for s in sorted(slugs))}); nothing was written",
        hint="fix the credentials or model IDs, or apply without --test-connections",
    )


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
            Text(one_line(r.slug)),
            Text(one_line(r.provider)),
            Text("ok", style="green") if r.ok else Text("failed", style="red"),
            Text(_latency(r)),
            Text(error_text(r) or ""),
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
            from rich.markup import escape

            mark = "ok" if result.ok else "failed"
            # the description is markup: a slug such as "[/]" must show, not be parsed
            slug = escape(one_line(result.slug))
            bar.update(task, advance=1, description=f"{slug}: {mark}")

        yield advance
