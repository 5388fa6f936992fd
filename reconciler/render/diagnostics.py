"""Diagnostics as text lines, JSON, or GitHub workflow commands (inline PR annotations)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from reconciler.diagnostics import Diagnostic, Severity
from reconciler.words import plural


def _sorted(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)


def _loc(d: Diagnostic) -> str:
    if d.line <= 0:
        return d.path
    return f"{d.path}:{d.line}:{d.column}" if d.column > 0 else f"{d.path}:{d.line}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
    text = f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
    # a diagnostic about a whole directory (path ending in '/') is not about a file
    files = len({d.path for d in diagnostics if not d.path.endswith(("/", "\\"))})
    return f"{text} in {plural(files, 'file')}" if files else text


def _one_line(text: str) -> str:
    """Text output is one diagnostic per line, whatever a key or file name holds."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _env(d: Diagnostic) -> str:
    return f" (environment {d.environment})" if d.environment else ""


def render_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(
        _one_line(f"{_loc(d)}: {d.severity.value}[{d.code}]: {d.message}{_env(d)}") + "\n"
        for d in _sorted(diagnostics)
    )


def diagnostics_to_json(diagnostics: Sequence[Diagnostic]) -> list[dict[str, object]]:
    """Each diagnostic as ``validate --format json`` gives it (sorted by place)."""
    return [
        {
            "path": d.path,
            "line": d.line,
            "column": d.column,
            "code": d.code,
            "severity": d.severity.value,
            "message": d.message,
            **({"environment": d.environment} if d.environment else {}),
        }
        for d in _sorted(diagnostics)
    ]


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps(diagnostics_to_json(diagnostics), indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in _sorted(diagnostics):
        props = [f"file={_escape_property(d.path)}"]
        if d.line > 0:
            props.append(f"line={d.line}")
        if d.column > 0:
            props.append(f"col={d.column}")
        props.append(f"title={_escape_property(d.code)}")
        message = _escape_data(d.message + _env(d))
        lines.append(f"::{_GITHUB_LEVEL[d.severity]} {','.join(props)}::{message}\n")
    return "".join(lines)


def render(diagnostics: Sequence[Diagnostic], fmt: str) -> str:
    if fmt == "json":
        return render_json(diagnostics)
    if fmt == "github":
        return render_github(diagnostics)
    return render_text(diagnostics)
