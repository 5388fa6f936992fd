"""``# lint: ignore`` comments over real catalogs and litellm's bundled model data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import Diagnostic, Severity, has_errors
from reconciler.lint.knowledge import model_cost
from reconciler.lint.rules import CODES, LintResult, lint_catalog
from reconciler.lint.suppress import (
    INVALID,
    UNKNOWN_CODE,
    UNUSED,
    Comment,
    apply_suppressions,
    comments,
    parse,
    read_sources,
    scan,
)

# o3-mini in litellm: 200000 in, 100000 out, no vision, $1.10 / $4.40 per 1M tokens
REASONER = """\
kind: Model
display_name: Test Model
deployment: custom
provider: openai
model_id: o3-mini
context_window: 300000
max_output_tokens: 8000
capabilities:
  json_mode: true
  vision: true
  tool_use: true
  reasoning: {parameter: effort}
cost:
  input_per_token: 2e-06
  output_per_token: 8e-06
"""
ALL = [
    (6, "context-window-too-large"),
    (7, "reasoning-output-low"),
    (7, "tool-output-too-small"),
    (10, "capability-mismatch"),
    (14, "cost-mismatch"),
    (15, "cost-mismatch"),
]
SETTINGS = "kind: Settings\ndefault_model: test-model\n"


@pytest.fixture(scope="module")
def table() -> Mapping[str, Mapping[str, Any]]:
    return model_cost()


def commented(text: str, comments_by_needle: dict[str, str]) -> str:
    """``text`` with a comment appended to the first line holding each needle."""
    lines = text.splitlines(keepends=True)
    for needle, comment in comments_by_needle.items():
        i = next(n for n, line in enumerate(lines) if needle in line)
        lines[i] = lines[i].rstrip("\n") + "  " + comment + "\n"
    return "".join(lines)


def run(tmp_path: Path, table: Any, files: dict[str, str]) -> LintResult:
    root = tmp_path / "catalog"
    for rel, text in {"settings.yaml": SETTINGS, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    catalog = validate_catalog(root)
    assert not has_errors(catalog.diagnostics), catalog.diagnostics
    return apply_suppressions(lint_catalog(catalog, table), read_sources(catalog))


def found(diagnostics: list[Diagnostic]) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in diagnostics]


def only(result: LintResult, code: str) -> Diagnostic:
    hits = [d for d in result.diagnostics if d.code == code]
    assert len(hits) == 1, result.diagnostics
    return hits[0]


def test_without_comments_every_finding_is_reported(tmp_path: Path, table: Any) -> None:
    result = run(tmp_path, table, {"m.yaml": REASONER})
    assert found(result.diagnostics) == ALL
    assert result.suppressed == []
    assert len(result.fixes) == 2


# --- on a line --------------------------------------------------------------------------------


def test_a_code_on_the_line_suppresses_that_finding_and_its_fix(tmp_path: Path, table: Any) -> None:
    text = commented(REASONER, {"input_per_token": "# lint: ignore[cost-mismatch]"})
    result = run(tmp_path, table, {"m.yaml": text})
    assert found(result.diagnostics) == [x for x in ALL if x[0] != 14]
    assert found(result.suppressed) == [(14, "cost-mismatch")]
    assert [f.field for f in result.fixes] == ["output_per_token"]


def test_a_code_leaves_other_rules_on_the_same_line(tmp_path: Path, table: Any) -> None:
    text = commented(REASONER, {"max_output_tokens": "# lint: ignore[tool-output-too-small]"})
    result = run(tmp_path, table, {"m.yaml": text})
    assert found(result.suppressed) == [(7, "tool-output-too-small")]
    assert (7, "reasoning-output-low") in found(result.diagnostics)


def test_bare_ignore_suppresses_every_rule_on_the_line(tmp_path: Path, table: Any) -> None:
    text = commented(REASONER, {"max_output_tokens": "# lint: ignore"})
    result = run(tmp_path, table, {"m.yaml": text})
    assert found(result.suppressed) == [(7, "reasoning-output-low"), (7, "tool-output-too-small")]
    assert found(result.diagnostics) == [x for x in ALL if x[0] != 7]


def test_several_codes_after_a_reason(tmp_path: Path, table: Any) -> None:
    text = commented(
        REASONER,
        {
            "max_output_tokens": "# short answers only  "
            "# lint: ignore[ tool-output-too-small ,Reasoning-Output-Low, ]"
        },
    )
    result = run(tmp_path, table, {"m.yaml": text})
    assert found(result.suppressed) == [(7, "reasoning-output-low"), (7, "tool-output-too-small")]
    assert not [d for d in result.diagnostics if d.code.startswith("suppression-")]


def test_a_suppression_applies_to_its_own_file_only(tmp_path: Path, table: Any) -> None:
    text = commented(REASONER, {"input_per_token": "# lint: ignore[cost-mismatch]"})
    other = REASONER.replace("Test Model", "Other Model")
    result = run(tmp_path, table, {"a.yaml": text, "b.yaml": other})
    assert [(Path(d.path).name, d.line) for d in result.suppressed] == [("a.yaml", 14)]
    assert [Path(d.path).name for d in result.diagnostics if d.line == 14] == ["b.yaml"]


# --- a whole document ---------------------------------------------------------------------


def _two_models(first_header: str) -> str:
    second = REASONER.replace("Test Model", "Other Model")
    return first_header + REASONER + "---\n" + second


@pytest.mark.parametrize(
    "header",
    [
        "# lint: ignore[cost-mismatch]\n",
        "# yaml-language-server: $schema=../schemas/model.schema.json\n\n"
        "# lint: ignore[cost-mismatch]  # enterprise agreement\n",
        "--- # lint: ignore[cost-mismatch]\n",
        "---\n# lint: ignore[cost-mismatch]\n",
    ],
)
def test_the_header_suppresses_for_the_whole_document(
    tmp_path: Path, table: Any, header: str
) -> None:
    result = run(tmp_path, table, {"m.yaml": _two_models(header)})
    offset = header.count("\n")
    assert found(result.suppressed) == [
        (14 + offset, "cost-mismatch"),
        (15 + offset, "cost-mismatch"),
    ]
    second = [line for line, code in found(result.diagnostics) if code == "cost-mismatch"]
    assert second == [14 + offset + 16, 15 + offset + 16]  # the next document keeps its own
    assert not [d for d in result.diagnostics if d.code.startswith("suppression-")]


def test_the_first_key_line_is_the_header(tmp_path: Path, table: Any) -> None:
    text = commented(REASONER, {"kind: Model": "# lint: ignore"})
    result = run(tmp_path, table, {"m.yaml": text})
    assert result.diagnostics == []
    assert found(result.suppressed) == ALL


def test_a_header_in_the_second_document(tmp_path: Path, table: Any) -> None:
    second = REASONER.replace("Test Model", "Other Model")
    text = REASONER + "# lint: ignore\n---\n" + commented(second, {"kind": "# lint: ignore"})
    result = run(tmp_path, table, {"m.yaml": text})
    # the comment above '---' is the end of the first document: a line of its own
    assert found(result.diagnostics) == [*ALL, (16, UNUSED)]
    assert len(result.suppressed) == len(ALL)
    assert all(d.line > 17 for d in result.suppressed)


def test_a_comment_of_its_own_in_the_body_covers_its_line_only(tmp_path: Path, table: Any) -> None:
    text = REASONER.replace("cost:\n", "cost:\n  # lint: ignore[cost-mismatch]\n")
    result = run(tmp_path, table, {"m.yaml": text})
    assert result.suppressed == []
    unused = only(result, UNUSED)
    assert (unused.line, unused.column, unused.severity) == (14, 3, Severity.INFO)
    assert "'# lint: ignore[cost-mismatch]' suppresses nothing" in unused.message
    assert "applies to findings on its own line" in unused.message


# --- problems with the comments -----------------------------------------------------------


def test_an_unknown_code_is_a_warning_and_suppresses_nothing(tmp_path: Path, table: Any) -> None:
    text = commented(REASONER, {"input_per_token": "# lint: ignore[cost-mismtch]"})
    result = run(tmp_path, table, {"m.yaml": text})
    assert result.suppressed == []
    diag = only(result, UNKNOWN_CODE)
    assert (diag.line, diag.column, diag.severity) == (14, 27, Severity.WARNING)
    assert diag.message == (
        "'cost-mismtch' is not a lint rule, so it suppresses nothing; did you mean 'cost-mismatch'?"
    )
    assert len(result.fixes) == 2


def test_known_codes_work_beside_an_unknown_one(tmp_path: Path, table: Any) -> None:
    text = commented(REASONER, {"input_per_token": "# lint: ignore[cost-mismatch, nonsense]"})
    result = run(tmp_path, table, {"m.yaml": text})
    assert found(result.suppressed) == [(14, "cost-mismatch")]
    assert "lint rules: capability-mismatch, " in only(result, UNKNOWN_CODE).message


def test_suppression_findings_cannot_be_suppressed(tmp_path: Path, table: Any) -> None:
    text = commented(REASONER, {"context_window": "# lint: ignore[suppression-unused]"})
    result = run(tmp_path, table, {"m.yaml": text})
    assert "cannot be suppressed" in only(result, UNKNOWN_CODE).message
    assert result.suppressed == []


def test_an_invalid_suppression_is_a_warning(tmp_path: Path, table: Any) -> None:
    text = commented(REASONER, {"input_per_token": "# lint: ignore cost-mismatch"})
    result = run(tmp_path, table, {"m.yaml": text})
    assert result.suppressed == []
    diag = only(result, INVALID)
    assert diag.severity is Severity.WARNING
    assert diag.message.startswith(
        "'# lint: ignore cost-mismatch' is not a suppression comment: write '# lint: ignore' "
        "or '# lint: ignore[code, ...]'"
    )


def test_unused_codes_are_noted(tmp_path: Path, table: Any) -> None:
    text = commented(
        REASONER,
        {
            "input_per_token": "# lint: ignore[cost-mismatch, unknown-model, cost-missing]",
            "json_mode": "# lint: ignore",
        },
    )
    result = run(tmp_path, table, {"m.yaml": text})
    assert found(result.suppressed) == [(14, "cost-mismatch")]
    notes = {d.line: d.message for d in result.diagnostics if d.code == UNUSED}
    assert notes == {
        9: "'# lint: ignore' suppresses nothing: there is no lint finding on this line (a "
        "suppression applies to findings on its own line, or to the whole document in the "
        "document's header)",
        14: "'# lint: ignore[unknown-model, cost-missing]' suppresses nothing: there is no "
        "unknown-model or cost-missing finding on this line (a suppression applies to "
        "findings on its own line, or to the whole document in the document's header)",
    }
    assert all(d.severity is Severity.INFO for d in result.diagnostics if d.code == UNUSED)


def test_an_unused_document_suppression(tmp_path: Path, table: Any) -> None:
    text = "# lint: ignore[unknown-model]\n" + REASONER
    result = run(tmp_path, table, {"m.yaml": text})
    assert only(result, UNUSED).message == (
        "'# lint: ignore[unknown-model]' suppresses nothing: there is no unknown-model "
        "finding in this document"
    )


def test_lint_ignore_inside_strings_is_not_a_comment(tmp_path: Path, table: Any) -> None:
    text = (
        'display_name: "Test Model # lint: ignore"\n'  # the header line
        "slug: test-model\n"
        + REASONER.replace("display_name: Test Model\n", "")
        + "description: |\n  # lint: ignore\n  kept as text\n"
    )
    result = run(tmp_path, table, {"m.yaml": text})
    assert result.suppressed == []
    assert [code for _, code in found(result.diagnostics)] == [code for _, code in ALL]


# --- the grammar ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "codes"),
    [
        ("# lint: ignore", None),
        ("#lint:ignore", None),
        ("# LINT: Ignore", None),
        ("# lint: ignore   ", None),
        ("# lint: ignore[cost-mismatch]", ("cost-mismatch",)),
        ("# lint:ignore[cost-mismatch,unknown-model]", ("cost-mismatch", "unknown-model")),
        ("# lint: ignore[ cost-mismatch , cost-mismatch, ]", ("cost-mismatch",)),
        ("# lint: ignore[cost-mismatch] # negotiated", ("cost-mismatch",)),
        ("# negotiated # lint: ignore[cost-mismatch]", ("cost-mismatch",)),
    ],
)
def test_valid_suppressions(comment: str, codes: tuple[str, ...] | None) -> None:
    sups, problems = parse("f.yaml", "a: 1  " + comment + "\n")
    assert problems == []
    assert [(s.line, s.codes, s.document) for s in sups] == [(1, codes, True)]
    assert sups[0].column == 7 + comment.rfind("#", 0, comment.lower().index("lint"))


@pytest.mark.parametrize(
    ("comment", "code"),
    [
        ("# lint: ignore cost-mismatch", INVALID),
        ("# lint: ignore[]", INVALID),
        ("# lint: ignore[ , ]", INVALID),
        ("# lint: ignore[cost-mismatch", INVALID),
        ("# lint: ignored", INVALID),
        ("# lint: ignore(cost-mismatch)", INVALID),
        ("# lint-ignore[cost-mismatch]", INVALID),
        ("# lint ignore", INVALID),
        ("# lint: please ignore", INVALID),
        ("# lint: ignore[cost-mismatch]]", INVALID),
        ("# lint: ignore[cost]", UNKNOWN_CODE),
        ("# lint: ignore[suppression-invalid]", UNKNOWN_CODE),
    ],
)
def test_invalid_suppressions(comment: str, code: str) -> None:
    sups, problems = parse("f.yaml", "a: 1\nb: 2  " + comment + "\n")
    assert sups == []
    assert [(d.line, d.column, d.code) for d in problems] == [(2, 7, code)]


@pytest.mark.parametrize(
    "comment", ["# linter: none", "# flint: ignore", "# the lint: later", "# ignore"]
)
def test_other_comments_are_left_alone(comment: str) -> None:
    assert parse("f.yaml", "a: 1  " + comment + "\n") == ([], [])


def test_every_rule_code_can_be_suppressed() -> None:
    from reconciler.lint import rules

    documented = {
        line.split()[0]
        for line in (rules.__doc__ or "").split("Codes:")[1].splitlines()
        if line.startswith("  ")
    }
    assert documented == CODES
    sups, problems = parse("f.yaml", f"a: 1  # lint: ignore[{', '.join(sorted(CODES))}]\n")
    assert problems == []
    assert set(sups[0].codes or ()) == CODES


# --- the scanner, by example ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: b # c\n", [(1, 6, "# c")]),
        ("a: b#c\n", []),  # part of the plain scalar
        ('a: "b # c"\n', []),
        ("a: 'it''s # no' # yes\n", [(1, 17, "# yes")]),
        ('a: "x"# c\n', [(1, 7, "# c")]),  # libyaml needs no space after a quoted scalar
        ("a: |  # header\n  # content\n  x\n# after\n", [(1, 7, "# header"), (4, 1, "# after")]),
        ("a: >-\n  b # c\n", []),
        ("a: [x, # c\n  y]\n", [(1, 8, "# c")]),
        ('a: "multi\n  # line"  # real\n', [(2, 12, "# real")]),
        ("a: b # c # d\n", [(1, 6, "# c # d")]),
        ("a: b # c\r\nd: e # f\r\n", [(1, 6, "# c"), (2, 6, "# f")]),
        ("é: 中 # 🙂\n", [(1, 6, "# 🙂")]),
        ("# top\n---\n# doc\na: 1\n", [(1, 1, "# top"), (3, 1, "# doc")]),
        ('a: "unterminated # x\n', []),  # a syntax error: nothing after the last token
        ("a: 1 # fine\nb: [\n", [(1, 6, "# fine")]),
    ],
)
def test_comments_by_example(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert comments(text) == [Comment(*e) for e in expected]


def test_segments_by_example() -> None:
    text = "# head\nkind: A\nx: 1\n# tail\n--- # next\n\nkind: B\n...\n%YAML 1.1\n---\nkind: C\n"
    assert [(s.first, s.header, s.last) for s in scan(text).segments] == [
        (1, 2, 4),
        (5, 7, 8),
        (9, 11, 12),
    ]
