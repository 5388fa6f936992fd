"""``lint --fix``: write suggested costs into the YAML files, touching nothing else.

The file is not re-emitted (a YAML round-trip re-indents and re-spaces whatever it does not
understand): the parser's exact character spans locate each cost value, and only those
characters are replaced, or one line is inserted. Comments, quoting, key order, blank lines,
odd indentation and line endings stay byte-identical. Every edited file is parsed again and
must read back the intended values before it is written.
"""

from __future__ import annotations

import codecs
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.catalog.yamlio import load_text
from reconciler.files import write_atomic
from reconciler.lint.rules import CostFix

Edit = tuple[int, int, str]  # start, end, replacement (character offsets)


@dataclass(frozen=True)
class FixReport:
    written: list[CostFix]
    problems: list[str]


def format_price(value: float) -> str:
    """Python's shortest round-tripping form (``3e-06``), which the catalog loader reads as
    a float."""
    return repr(float(value))


def _child(mapping: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for knode, vnode in mapping.value:
        if isinstance(knode, ScalarNode) and knode.value == key:
            return knode, vnode
    return None


def _last_value(node: Node) -> Node:
    """The innermost last value of a block collection: where its text really ends (a block
    collection's own end mark is at the next token, after any trailing comments). A flow
    collection ends exactly at its closing bracket, so it is not entered: its last value
    can sit on an earlier line than the bracket."""
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node


def _after_line(text: str, node: Node) -> int:
    """Offset of the start of the line after the one where ``node`` ends."""
    end = node.end_mark.index
    if end > 0 and text[end - 1] == "\n":  # block scalars end after their newline
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _insert_lines(text: str, at: int, lines: Sequence[str], newline: str) -> Edit:
    body = newline.join(lines) + newline
    if at == len(text) and text and not text.endswith("\n"):
        body = newline + body
    return at, at, body


def _nested_indent(root: MappingNode) -> int:
    """Indentation step the document uses for nested mappings (2 when it has none)."""
    for knode, vnode in root.value:
        if isinstance(vnode, MappingNode) and not vnode.flow_style and vnode.value:
            step: int = vnode.value[0][0].start_mark.column - knode.start_mark.column
            if step > 0:
                return step
    return 2


def _edits_for_document(
    text: str, root: MappingNode, fixes: Sequence[CostFix], newline: str
) -> list[Edit]:
    values = {f.field: format_price(f.value) for f in fixes}
    found = _child(root, "cost")
    if found is None:
        if root.flow_style:
            raise ValueError("the document is a flow mapping ({...}); add cost by hand")
        indent = " " * root.value[0][0].start_mark.column
        step = " " * _nested_indent(root)
        lines = [f"{indent}cost:"] + [f"{indent}{step}{k}: {v}" for k, v in values.items()]
        return [_insert_lines(text, _after_line(text, _last_value(root)), lines, newline)]
    _, cost = found
    if not isinstance(cost, MappingNode):
        raise ValueError("cost is not a mapping")
    edits: list[Edit] = []
    missing: dict[str, str] = {}
    for name, rendered in values.items():
        item = _child(cost, name)
        if item is None:
            missing[name] = rendered
            continue
        knode, node = item
        if not isinstance(node, ScalarNode):
            raise ValueError(f"cost.{name} is not a plain value")
        start, end = node.start_mark.index, node.end_mark.index
        if start == end:  # an empty value ("key:") has no characters of its own
            colon = text.index(":", knode.end_mark.index) + 1
            edits.append((colon, colon, " " + rendered))
        else:
            edits.append((start, end, rendered))
    if not missing:
        return edits
    if cost.flow_style:
        close = cost.end_mark.index - 1
        while close > 0 and text[close] != "}":
            close -= 1
        parts = [f"{k}: {v}" for k, v in missing.items()]
        prefix = ", " if cost.value else ""
        edits.append((close, close, prefix + ", ".join(parts)))
    elif cost.value:
        indent = " " * cost.value[0][0].start_mark.column
        lines = [f"{indent}{k}: {v}" for k, v in missing.items()]
        edits.append(_insert_lines(text, _after_line(text, _last_value(cost)), lines, newline))
    else:
        raise ValueError("cost is empty in an unexpected style")
    return edits


def _apply(text: str, edits: Iterable[Edit]) -> str:
    for start, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def fix_text(text: str, display: str, fixes: Sequence[CostFix]) -> str:
    """``text`` with the costs of ``fixes`` written in; raises ValueError when it cannot."""
    loaded = load_text(text, display)
    if loaded.diagnostics:
        raise ValueError("the file does not parse")
    newline = "\r\n" if "\r\n" in text else "\n"
    by_doc: dict[int, list[CostFix]] = defaultdict(list)
    for fix in fixes:
        by_doc[fix.doc_index].append(fix)
    edits: list[Edit] = []
    for index, doc_fixes in by_doc.items():
        if index >= len(loaded.documents):
            raise ValueError(f"document {index + 1} is gone")
        root = loaded.documents[index].node
        if not isinstance(root, MappingNode) or not root.value:
            raise ValueError(f"document {index + 1} is not a mapping")
        edits.extend(_edits_for_document(text, root, doc_fixes, newline))
    result = _apply(text, edits)
    check = load_text(result, display)
    for fix in fixes:
        data = check.documents[fix.doc_index].data if not check.diagnostics else None
        got = data.get("cost", {}).get(fix.field) if isinstance(data, dict) else None
        if not isinstance(got, float) or got != float(fix.value):
            raise ValueError(f"cost.{fix.field} did not read back as {fix.value!r}")
    return result


def apply_fixes(fixes: Sequence[CostFix]) -> FixReport:
    """Write the fixes file by file; a file that cannot be fixed safely is left untouched."""
    by_file: dict[str, list[CostFix]] = defaultdict(list)
    for fix in fixes:
        by_file[fix.path].append(fix)
    written: list[CostFix] = []
    problems: list[str] = []
    for display, file_fixes in sorted(by_file.items()):
        path = Path(display)
        try:
            raw = path.read_bytes()
            bom = raw.startswith(codecs.BOM_UTF8)
            text = raw.decode("utf-8-sig")
            new = fix_text(text, display, file_fixes)
        except (OSError, UnicodeDecodeError, ValueError) as err:
            problems.append(f"{display}: not fixed: {err}")
            continue
        if new != text:
            write_atomic(
                path,
                (codecs.BOM_UTF8 if bom else b"") + new.encode("utf-8"),
                mode=path.stat().st_mode & 0o7777,
                hint="free space or fix the permissions, then run 'reconciler lint --fix' "
                "again (files fixed so far are complete)",
            )
        written.extend(file_fixes)
    return FixReport(written, problems)
