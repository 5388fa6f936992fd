"""Rendering diagnostics as text, JSON and GitHub workflow commands."""

from __future__ import annotations

import json

from reconciler.diagnostics import Diagnostic, Severity
from reconciler.render.diagnostics import render, render_github, render_json, render_text, summary

DIAGS = [
    Diagnostic("b.yaml", 3, 5, "wrong-type", "x: must be a whole number"),
    Diagnostic("a.yaml", 10, 1, "unknown-field", "unknown field 'y'"),
    Diagnostic("a.yaml", 2, 0, "note", "line only", Severity.WARNING),
    Diagnostic("c.yaml", 0, 0, "file-too-large", "too big", Severity.INFO),
]


def test_text_sorted_with_locations() -> None:
    assert render_text(DIAGS) == (
        "a.yaml:2: warning[note]: line only\n"
        "a.yaml:10:1: error[unknown-field]: unknown field 'y'\n"
        "b.yaml:3:5: error[wrong-type]: x: must be a whole number\n"
        "c.yaml: info[file-too-large]: too big\n"
    )


def test_text_is_one_line_per_diagnostic() -> None:
    text = render_text([Diagnostic("we\nird.yaml", 1, 1, "k", "a\nb\r\nc")])
    assert text == "we\\nird.yaml:1:1: error[k]: a\\nb\\r\\nc\n"
    assert text.count("\n") == 1


def test_json_round_trips_every_field() -> None:
    items = json.loads(render_json(DIAGS))
    assert items[0] == {
        "path": "a.yaml",
        "line": 2,
        "column": 0,
        "code": "note",
        "severity": "warning",
        "message": "line only",
    }
    assert [i["path"] for i in items] == ["a.yaml", "a.yaml", "b.yaml", "c.yaml"]
    assert render_json([]) == "[]\n"


def test_github_levels_and_escaping() -> None:
    out = render_github(
        [
            *DIAGS,
            Diagnostic("dir,x/a:b.yaml", 1, 2, "c:d,e", "100% sure\r\nnext: line, yes"),
        ]
    ).splitlines()
    assert out == [
        "::warning file=a.yaml,line=2,title=note::line only",
        "::error file=a.yaml,line=10,col=1,title=unknown-field::unknown field 'y'",
        "::error file=b.yaml,line=3,col=5,title=wrong-type::x: must be a whole number",
        "::notice file=c.yaml,title=file-too-large::too big",
        "::error file=dir%2Cx/a%3Ab.yaml,line=1,col=2,title=c%3Ad%2Ce"
        "::100%25 sure%0D%0Anext: line, yes",
    ]


def test_render_dispatch_and_summary() -> None:
    assert render(DIAGS, "text") == render_text(DIAGS)
    assert render(DIAGS, "json") == render_json(DIAGS)
    assert render(DIAGS, "github") == render_github(DIAGS)
    assert summary(DIAGS) == "2 errors, 1 warning in 3 files"
    assert summary(DIAGS[:1]) == "1 error, 0 warnings in 1 file"


def test_summary_counts_in_the_singular_and_plural() -> None:
    def diag(path: str, severity: Severity = Severity.ERROR) -> Diagnostic:
        return Diagnostic(path, 1, 1, "c", "m", severity)

    assert summary([]) == "0 errors, 0 warnings"
    assert summary([diag("a.yaml"), diag("a.yaml")]) == "2 errors, 0 warnings in 1 file"
    assert summary([diag("a.yaml", Severity.WARNING)]) == "0 errors, 1 warning in 1 file"
    two = [diag("a.yaml", Severity.WARNING), diag("b.yaml", Severity.WARNING)]
    assert summary(two) == "0 errors, 2 warnings in 2 files"
    # a problem with a whole directory is not counted as a file
    assert summary([diag("catalog/", Severity.WARNING)]) == "0 errors, 1 warning"
    assert summary([diag("./", Severity.WARNING), diag("m.yaml")]) == (
        "1 error, 1 warning in 1 file"
    )
