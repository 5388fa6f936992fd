"""The words of ``reconciler lint`` around its findings: what ``--fix`` wrote or could not, and
the closing summary line."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.diagnostics import Diagnostic, Severity
from reconciler.lint.rules import CostFix
from reconciler.words import plural


def fix_lines(fixed: Sequence[CostFix], not_fixed: Sequence[str]) -> str:
    """What ``--fix`` could not write, then what it wrote (one line each)."""
    lines = [f"lint --fix: {problem}\n" for problem in not_fixed]
    lines += [f"fixed {done.path}: cost.{done.field} = {done.value!r}\n" for done in fixed]
    return "".join(lines)


def lint_summary(
    diagnostics: Sequence[Diagnostic], suppressed: int, models: int, credentials: int
) -> str:
    """``1 error, 2 warnings, 0 notes, 3 suppressed (4 models, 1 credential)``."""
    count = {s: sum(d.severity is s for d in diagnostics) for s in Severity}
    text = (
        f"{plural(count[Severity.ERROR], 'error')}, "
        f"{plural(count[Severity.WARNING], 'warning')}, {plural(count[Severity.INFO], 'note')}"
        if diagnostics
        else "no lint findings"
    )
    text += f", {suppressed} suppressed" if suppressed else ""
    return f"{text} ({plural(models, 'model')}, {plural(credentials, 'credential')})\n"
