"""Property tests of the comment scanner behind ``# lint: ignore``, against libyaml itself.

The oracle: text is a YAML comment exactly when changing it leaves the composed nodes (tags and
scalar text) alone. The emitter never writes comments, so comments are added line by line and
kept only where the nodes stay the same; the scanner must then find exactly those, however
many '#', quotes and fake '# lint: ignore' strings the values hold.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, ScalarNode

from reconciler.lint.suppress import Comment, comments, scan

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BREAKS = "\r\n\x85\u2028\u2029"

# characters that trip up a naive comment scanner, plus some non-ASCII (columns count
# characters, not bytes)
tricky = st.lists(
    st.sampled_from([*"ab #'\"\\:-[]{},|>&*!%@`?\t\n", "é", "中", "🙂", "# lint: ignore"]),
    max_size=25,
).map("".join)
scalars = st.none() | st.booleans() | st.integers() | tricky
data = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(tricky, children, max_size=4),
    max_leaves=15,
)
styles = st.sampled_from([None, "", '"', "'", "|", ">"])
comment_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=_BREAKS),
    max_size=20,
).map(lambda s: "#" + s)


def _shape(node: Node) -> Any:
    if isinstance(node, ScalarNode):
        return (node.tag, node.value)
    if isinstance(node, MappingNode):
        return (node.tag, [(_shape(k), _shape(v)) for k, v in node.value])
    return (node.tag, [_shape(item) for item in node.value])


def _load(text: str) -> tuple[bool, Any]:
    """The node trees (tags and scalar text, not constructed values: a '!!null' scalar is
    None whatever it says)."""
    try:
        return True, [_shape(node) for node in yaml.compose_all(text, Loader=_Loader)]
    except yaml.YAMLError:
        return False, None


def _dump(docs: list[Any], style: str | None, flow: bool | None, unicode: bool, start: bool) -> str:
    return yaml.safe_dump_all(
        docs,
        default_style=style,
        default_flow_style=flow,
        allow_unicode=unicode,
        explicit_start=start or len(docs) > 1,
        width=30,  # short lines: more multi-line scalars
    )


dumped = st.builds(
    _dump,
    st.lists(data, min_size=1, max_size=3),
    styles,
    st.sampled_from([False, True, None]),
    st.booleans(),
    st.booleans(),
)


@FAST
@given(dumped)
def test_emitter_output_has_no_comments(text: str) -> None:
    assert comments(text) == []


@FAST
@given(
    dumped,
    st.lists(
        st.tuples(
            st.integers(0, 200),
            st.booleans(),  # own line (before that line) or end of that line
            st.sampled_from(["", " ", "  ", "\t"]),
            comment_text,
        ),
        max_size=8,
    ),
)
def test_finds_exactly_the_comments_yaml_sees(text: str, inserts: list[Any]) -> None:
    ok, expected_data = _load(text)
    assert ok
    lines = text.split("\n")
    marks: list[tuple[int, str] | None] = [None] * len(lines)  # (column, comment) per line
    for where, own_line, gap, comment in inserts:
        i = where % len(lines)
        if marks[i] is not None:
            continue
        if own_line:
            new_lines = [*lines[:i], gap + comment, *lines[i:]]
            new_marks = [*marks[:i], (len(gap) + 1, comment), *marks[i:]]
        else:
            new_lines = [*lines[:i], lines[i] + gap + comment, *lines[i + 1 :]]
            new_marks = [*marks[:i], (len(lines[i] + gap) + 1, comment), *marks[i + 1 :]]
        if _load("\n".join(new_lines)) == (True, expected_data):
            lines, marks = new_lines, new_marks  # libyaml reads it as a comment
    expected = [Comment(n, m[0], m[1]) for n, m in enumerate(marks, 1) if m is not None]
    assert comments("\n".join(lines)) == expected


yamlish = st.lists(
    st.sampled_from(
        [*"ab019 :-[]{},'\"&*!|>#?%\t\n\\", "\n  ", "\n- ", "# lint: ignore", "---\n", "...\n"]
    ),
    max_size=60,
).map("".join)


@FAST
@given(yamlish | st.text(max_size=120))
def test_every_comment_found_is_one(text: str) -> None:
    """On any text (valid or not) the scanner never raises, reports comments where they are,
    and never reports text that is not a comment: rewriting it leaves the data alone."""
    found = comments(text)
    ok, data = _load(text)
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    simple_breaks = not any(ch in text for ch in "\r\x85\u2028\u2029")
    for comment in found:
        assert comment.text.startswith("#")
        assert not any(ch in comment.text for ch in _BREAKS)
        if not simple_breaks:
            continue
        at = line_starts[comment.line - 1] + comment.column - 1
        assert text[at : at + len(comment.text)] == comment.text
        if ok:
            other = "#" if comment.text != "#" else "#x"
            changed = text[:at] + other + text[at + len(comment.text) :]
            assert _load(changed) == (True, data), comment


@FAST
@given(st.lists(st.dictionaries(tricky, scalars, min_size=1, max_size=3), min_size=1, max_size=4))
def test_one_segment_per_document_with_its_first_key(docs: list[dict[str, Any]]) -> None:
    text = yaml.safe_dump_all(docs, explicit_start=True, width=30)
    layout = scan(text)
    assert len(layout.segments) == len(docs)
    nodes = list(yaml.compose_all(text, Loader=_Loader))
    for segment, node in zip(layout.segments, nodes, strict=True):
        assert segment.header == node.start_mark.line + 1
        assert segment.first <= segment.header <= segment.last
    assert [s.first for s in layout.segments[1:]] == [s.last + 1 for s in layout.segments[:-1]]
