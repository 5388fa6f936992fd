"""Suppression comments: ``# lint: ignore[code, ...]`` and bare ``# lint: ignore``.

Where a suppression applies (the rule the README documents):

* In a document's header, any line from the start of the document (the file's first line,
  or its ``---`` line) down to and including the line of its first key (usually ``kind:``),
  it applies to the whole document.
* Anywhere else it applies to findings on its own line: the line lint prints in
  ``file:LINE:col``. Put it at the end of that line.

``# lint: ignore`` suppresses every lint rule, ``# lint: ignore[a, b]`` only rules a and b.
A comment may hold other text around it in its own ``#`` part
(``# negotiated price  # lint: ignore[cost-mismatch]``). Only lint's rules can be suppressed,
never validation errors.

Suppression comments are checked too; these findings cannot be suppressed:
  suppression-unknown-code  a code in ignore[...] is not a lint rule (warning)
  suppression-invalid       a ``lint:`` comment that is not a valid suppression (warning)
  suppression-unused        a suppression (or one of its codes) matched no finding (info)

Comments are found with libyaml's own scanner: every character outside its tokens is white
space or a comment, so a ``#`` inside a quoted string or a block scalar is never mistaken for
one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import yaml

from reconciler.catalog.load import Catalog
from reconciler.catalog.yamlio import read_text
from reconciler.diagnostics import Diagnostic, Severity
from reconciler.lint.rules import CODES, LintResult
from reconciler.words import did_you_mean

UNKNOWN_CODE = "suppression-unknown-code"
INVALID = "suppression-invalid"
UNUSED = "suppression-unused"
SUPPRESSION_CODES = frozenset({UNKNOWN_CODE, INVALID, UNUSED})

# libyaml's line breaks (YAML 1.1): what its marks count as a new line
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_HASH = re.compile(r"#")
_CANDIDATE = re.compile(r"lint\s*:|lint[\s_-]*ignore", re.IGNORECASE)
_DIRECTIVE = re.compile(r"lint:[ \t]*ignore(?:\[(?P<codes>[^\]\[]*)\])?[ \t]*", re.IGNORECASE)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NOT_CONTENT = (
    yaml.StreamStartToken,
    yaml.StreamEndToken,
    yaml.BlockEndToken,
    yaml.DocumentStartToken,
    yaml.DocumentEndToken,
    yaml.DirectiveToken,
)
_SYNTAX = "write '# lint: ignore' or '# lint: ignore[code, ...]'"


@dataclass(frozen=True)
class Comment:
    """A YAML comment: 1-based line and column of its ``#``, and its text from ``#`` to the
    end of the line."""

    line: int
    column: int
    text: str


@dataclass(frozen=True)
class Segment:
    """The lines (1-based, inclusive) of one document, and the last line of its header (the
    line of its first key); ``header`` is 0 for a document without content."""

    first: int
    header: int
    last: int


@dataclass(frozen=True)
class Layout:
    comments: list[Comment]
    segments: list[Segment]


@dataclass(frozen=True)
class Suppression:
    path: str
    line: int
    column: int
    codes: tuple[str, ...] | None  # None: every rule
    first: int  # lines it covers (1-based, inclusive)
    last: int
    document: bool

    def covers(self, finding: Diagnostic) -> bool:
        return self.first <= finding.line <= self.last and (
            self.codes is None or finding.code in self.codes
        )


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _BREAK.finditer(text))]


def scan(text: str) -> Layout:
    """The comments and document layout of a YAML text; never raises. After a syntax error
    only what comes before the last token libyaml could read is reported."""
    spans: list[tuple[int, int]] = []  # characters inside tokens (non-empty, in order)
    raw_segments: list[tuple[int, int | None]] = []  # (first line, header line), 0-based
    first, header, started = 0, None, False
    limit = len(text)
    try:
        for token in yaml.scan(text, Loader=_Loader):
            start, end = token.start_mark, token.end_mark
            begin = start.index
            if isinstance(token, yaml.ScalarToken) and token.style in ("|", ">"):
                # the header line (indicators, then maybe a comment) is not content
                brk = _BREAK.search(text, begin, end.index)
                begin = brk.end() if brk is not None else end.index
            if end.index > begin:
                spans.append((begin, end.index))
            if isinstance(token, yaml.DocumentEndToken):
                raw_segments.append((first, header))
                first, header, started = start.line + 1, None, False
            elif isinstance(token, (yaml.DocumentStartToken, yaml.DirectiveToken)):
                if header is not None or started:
                    raw_segments.append((first, header))
                    first, header, started = start.line, None, False
                started = started or isinstance(token, yaml.DocumentStartToken)
            elif header is None and not isinstance(token, _NOT_CONTENT):
                header = start.line
    except yaml.YAMLError:
        limit = spans[-1][1] if spans else 0
    raw_segments.append((first, header))

    starts = _line_starts(text)
    span_starts = [s for s, _ in spans]
    comments: list[Comment] = []
    commented_line = -1
    for match in _HASH.finditer(text, 0, limit):
        at = match.start()
        i = bisect.bisect_right(span_starts, at) - 1
        if i >= 0 and at < spans[i][1]:
            continue
        line = bisect.bisect_right(starts, at) - 1
        if line == commented_line:
            continue  # a '#' inside a comment
        commented_line = line
        brk = _BREAK.search(text, at)
        comments.append(
            Comment(line + 1, at - starts[line] + 1, text[at : brk.start() if brk else len(text)])
        )

    segments: list[Segment] = []
    for n, (seg_first, seg_header) in enumerate(raw_segments):
        last = raw_segments[n + 1][0] if n + 1 < len(raw_segments) else len(starts)
        segments.append(
            Segment(seg_first + 1, 0 if seg_header is None else seg_header + 1, max(last, 1))
        )
    return Layout(comments, segments)


def comments(text: str) -> list[Comment]:
    """The comments of a YAML text, in order."""
    return scan(text).comments


# --- parsing the comments ----------------------------------------------------------------------


def _suggest(code: str) -> str:
    return did_you_mean(code, CODES) or f"; lint rules: {', '.join(sorted(CODES))}"


@dataclass(frozen=True)
class _Directive:
    codes: tuple[str, ...] | None  # None: every rule


def _directive(
    path: str, part: str, line: int, column: int, problems: list[Diagnostic]
) -> _Directive | None:
    """The suppression one ``#`` part of a comment holds, if any; problems with it are
    appended to ``problems``."""
    text = part.strip()
    if not _CANDIDATE.match(text):
        return None
    match = _DIRECTIVE.fullmatch(text)
    codes_text = match.group("codes") if match is not None else None
    if match is None or (codes_text is not None and not codes_text.strip(" \t,")):
        problems.append(
            Diagnostic(
                path,
                line,
                column,
                INVALID,
                f"'# {text}' is not a suppression comment: {_SYNTAX} (a reason goes in its own "
                "'#' part); it suppresses nothing",
                Severity.WARNING,
            )
        )
        return None
    if codes_text is None:
        return _Directive(None)
    codes: list[str] = []
    for raw in codes_text.split(","):
        code = raw.strip().lower()
        if not code or code in codes:
            continue
        if code in CODES:
            codes.append(code)
            continue
        if code in SUPPRESSION_CODES:
            message = (
                f"'{code}' is reported about suppression comments and cannot be suppressed; "
                "fix or remove the comment instead"
            )
        else:
            message = f"'{code}' is not a lint rule, so it suppresses nothing{_suggest(code)}"
        problems.append(Diagnostic(path, line, column, UNKNOWN_CODE, message, Severity.WARNING))
    return _Directive(tuple(codes)) if codes else None


def parse(path: str, text: str) -> tuple[list[Suppression], list[Diagnostic]]:
    """The suppressions of one file, and the problems with its suppression comments."""
    suppressions: list[Suppression] = []
    problems: list[Diagnostic] = []
    if "lint" not in text.lower():
        return suppressions, problems
    layout = scan(text)
    for comment in layout.comments:
        segment = next((s for s in layout.segments if s.first <= comment.line <= s.last), None)
        document = segment is not None and comment.line <= segment.header
        offset = 0
        for part in comment.text.split("#")[1:]:
            column = comment.column + offset
            offset += len(part) + 1
            directive = _directive(path, part, comment.line, column, problems)
            if directive is None:
                continue
            first, last = (
                (segment.first, segment.last)
                if document and segment is not None
                else (comment.line, comment.line)
            )
            suppressions.append(
                Suppression(path, comment.line, column, directive.codes, first, last, document)
            )
    return suppressions, problems


# --- applying them ------------------------------------------------------------------------------


def _unused(sup: Suppression, codes: Sequence[str] | None) -> Diagnostic:
    where = "in this document" if sup.document else "on this line"
    if codes is None:
        what, finding = "'# lint: ignore'", "lint finding"
    else:
        what = f"'# lint: ignore[{', '.join(codes)}]'"
        finding = " or ".join(codes) + " finding"
    hint = (
        ""
        if sup.document
        else " (a suppression applies to findings on its own line, or to the whole document "
        "in the document's header)"
    )
    return Diagnostic(
        sup.path,
        sup.line,
        sup.column,
        UNUSED,
        f"{what} suppresses nothing: there is no {finding} {where}{hint}",
        Severity.INFO,
    )


def apply_suppressions(result: LintResult, sources: Mapping[str, str]) -> LintResult:
    """``result`` without the findings (and fixes) that suppression comments in ``sources``
    (display path -> text) silence, plus the findings about the comments themselves."""
    by_path: dict[str, list[Suppression]] = {}
    problems: list[Diagnostic] = []
    for path, text in sources.items():
        found, bad = parse(path, text)
        by_path[path] = found
        problems.extend(bad)
    used: set[tuple[Suppression, str | None]] = set()
    kept: list[Diagnostic] = []
    suppressed: list[Diagnostic] = []
    for finding in result.diagnostics:
        hits = [s for s in by_path.get(finding.path, ()) if s.covers(finding)]
        if not hits:
            kept.append(finding)
            continue
        suppressed.append(finding)
        used.update((s, None if s.codes is None else finding.code) for s in hits)
    for sups in by_path.values():
        for sup in sups:
            if sup.codes is None:
                if (sup, None) not in used:
                    problems.append(_unused(sup, None))
                continue
            idle = [c for c in sup.codes if (sup, c) not in used]
            if idle:
                problems.append(_unused(sup, idle))
    silenced = set(suppressed)
    return LintResult(
        diagnostics=sorted([*kept, *problems], key=Diagnostic.sort_key),
        fixes=[f for f in result.fixes if f.finding not in silenced],
        suppressed=[*result.suppressed, *suppressed],
    )


def read_sources(catalog: Catalog) -> dict[str, str]:
    """Text of every file that holds a linted document, by display path."""
    paths: Iterable[str] = sorted(
        {e.doc.path for e in catalog.models}
        | {e.doc.path for e in catalog.credentials}
        | {e.doc.path for e in catalog.settings}
    )
    sources: dict[str, str] = {}
    for path in paths:
        text, _ = read_text(path, path)
        if text is not None:
            sources[path] = text
    return sources
