"""Safe YAML loading that keeps positions and rejects what PyYAML silently lets through.

libyaml's C parser builds the node tree; a small constructor of our own turns it into plain
values. Positions are not copied onto every value, and node trees are not kept either (they are
most of a loaded catalog's memory): a document keeps its file's text, and ``locate`` composes
that file's node trees again only when a diagnostic needs a line and column, so valid input pays
nothing. Problems are collected as diagnostics; nothing here raises for bad input.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.catalog.chars import NOT_YAML_PRINTABLE, label
from reconciler.diagnostics import Diagnostic
from reconciler.files import NotRegularFile, read_regular

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
ALIAS_BUDGET = 10_000  # nodes a document may reach through aliases (billion-laughs guard)
# libyaml's composer (PyYAML's C extension) recurses on the C stack: tens of thousands of
# nested collections crash the process. Text that cannot nest this deep is composed directly;
# anything else is first walked as an event stream (iterative) to reject deep nesting.
_SAFE_NESTING = 1000
_FLOW_OPENERS_LIMIT = 400  # each flow level needs a '[' or '{'
# each two block levels need at least one column of indentation or a compact '- ' / '? '
_LONG_INDENT = re.compile(r"\n[ ?:-]{200}")

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type, misc]
    """Safe loader that also reads YAML 1.2 exponent floats (``3e-6``) as numbers."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

_T = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _T + "str", _T + "map", _T + "seq"
# YAML 1.2 (editors, check-jsonschema, the JSON Schemas) knows only these booleans; YAML 1.1's
# yes/no/on/off are strings there, and stay strings here so that validate agrees with them.
_BOOLEANS = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
_FALLBACK = yaml.constructor.SafeConstructor()
_TOO_DEEP = (
    f"nested deeper than {MAX_DEPTH} levels; catalog documents need only a few levels "
    "of lists and maps"
)


def _int(node: ScalarNode) -> Any:
    try:
        return int(node.value)
    except ValueError:
        return _FALLBACK.construct_yaml_int(node)


def _float(node: ScalarNode) -> Any:
    try:
        return float(node.value)
    except ValueError:
        return _FALLBACK.construct_yaml_float(node)


_SCALARS: dict[str, Any] = {
    _T + "null": lambda node: None,
    _T + "bool": lambda node: _BOOLEANS.get(node.value, node.value),
    _T + "int": _int,
    _T + "float": _float,
    # Dates stay strings: the schema checks them with format "date".
    _T + "timestamp": lambda node: node.value,
}


def position(node: Node) -> tuple[int, int]:
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


class Source:
    """The text of one file, and its documents' node trees once a position is asked for."""

    __slots__ = ("_nodes", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._nodes: list[Node] | None = None

    def node(self, index: int) -> Node:
        """The node tree of document ``index``, composed from the same text as when it was
        loaded (so the same tree); every document of the file is composed at once and kept,
        as a file with one diagnostic often has more."""
        if self._nodes is None:
            nodes: list[Node] = []
            loader = _Loader(self.text)
            try:
                while loader.check_node():
                    nodes.append(loader.get_node())
            except yaml.YAMLError:
                pass  # a later document's error: the ones before it were loaded and stand
            finally:
                loader.dispose()
            self._nodes = nodes
        return self._nodes[index]


@dataclass(eq=False)
class Document:
    """One YAML document of a file: its value, and where to find the node tree that says
    where things are."""

    path: str
    index: int
    data: Any
    source: Source
    has_nul: bool = False  # some string of it holds NUL, which the registry cannot store

    @property
    def node(self) -> Node:
        return self.source.node(self.index)

    def locate(self, where: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``where`` (or of its key); the nearest ancestor if
        the path does not exist."""
        node = self.node
        for part in where:
            if isinstance(node, MappingNode):
                for knode, vnode in node.value:
                    if knode.value == part:
                        node = knode if key and part == where[-1] else vnode
                        break
                else:
                    break
            elif isinstance(node, SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
            else:
                break
        return position(node)

    def origin(self, where: Sequence[str | int]) -> str:
        """The file that supplied the value at ``where`` (an environment's merged document
        draws values from two files)."""
        return self.path

    def pointer(self, where: tuple[str | int, ...]) -> Pointer:
        """What is needed to locate the value at ``where`` later, without the parsed data."""
        return Pointer(self.path, self.index, self.source, where)


@dataclass(frozen=True, slots=True)
class Pointer:
    """A value's place in a document, kept for a message that may be needed long after
    loading: the file's text (positions are still composed only when asked for), not the
    document's parsed data, which is most of its memory at 100k objects."""

    path: str
    index: int
    source: Source
    where: tuple[str | int, ...]

    def locate(self, *, key: bool = False) -> tuple[int, int]:
        return Document(self.path, self.index, None, self.source).locate(self.where, key=key)

    def text(self) -> str | None:
        """The scalar at ``where`` as written (``123``, ``1e3``, ``true``: what a reference to
        it would quote), None when there is no scalar there."""
        node: Node | None = self.source.node(self.index)
        for part in self.where:
            if not isinstance(node, MappingNode):
                return None
            node = next((v for k, v in node.value if k.value == part), None)
        return str(node.value) if isinstance(node, ScalarNode) else None


@dataclass
class LoadedFile:
    path: str
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    is_sops: bool = False


class _Constructor:
    """Turns one document's nodes into values, recording problems instead of raising."""

    def __init__(self, path: str, diagnostics: list[Diagnostic]) -> None:
        self.path = path
        self.diagnostics = diagnostics
        self.done: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()
        self.count = 0
        self.expanded = 0
        self.budget_hit = False
        self.depth_hit = False
        self.nul = False  # a string holds NUL (only an escape such as "\0" can write one)

    def error(self, node: Node, code: str, message: str) -> None:
        line, col = position(node)
        self.diagnostics.append(Diagnostic(self.path, line, col, code, message))

    def build(self, node: Node, depth: int) -> Any:
        self.count += 1
        if node.__class__ is ScalarNode:
            tag = node.tag
            if tag == _STR:
                if "\x00" in node.value:
                    self.nul = True
                return node.value
            convert = _SCALARS.get(tag)
            if convert is None:
                self.error(
                    node,
                    "unsupported-tag",
                    f"YAML tag '{_tag_text(tag)}' is not allowed; "
                    "catalog files hold plain strings, numbers, booleans, lists and maps",
                )
                return None
            return convert(node)

        nid = id(node)
        if nid in self.done:  # an alias of a finished collection: reuse it, but count it
            size = self.sizes[nid]
            self.count += size
            self.expanded += size
            if self.expanded > ALIAS_BUDGET:
                if not self.budget_hit:
                    self.budget_hit = True
                    self.error(
                        node,
                        "alias-budget",
                        "aliases expand to more than "
                        f"{ALIAS_BUDGET} values (a 'billion laughs' document?); "
                        "write the values out or use fewer aliases",
                    )
                return None
            return self.done[nid]
        if nid in self.active:
            self.error(node, "alias-cycle", "an alias refers to a collection that contains it")
            return None
        if depth >= MAX_DEPTH:
            if not self.depth_hit:
                self.depth_hit = True
                self.error(node, "too-deep", _TOO_DEEP)
            return None

        start = self.count
        self.active.add(nid)
        result: Any
        if node.__class__ is MappingNode:
            result = self._mapping(node, depth)
        else:
            if node.tag != _SEQ:
                self.error(
                    node, "unsupported-tag", f"YAML tag '{_tag_text(node.tag)}' is not allowed"
                )
            result = [self.build(child, depth + 1) for child in node.value]
        self.active.discard(nid)
        self.done[nid] = result
        self.sizes[nid] = self.count - start
        return result

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            self.error(node, "unsupported-tag", f"YAML tag '{_tag_text(node.tag)}' is not allowed")
        result: dict[str, Any] = {}
        for knode, vnode in node.value:
            if knode.__class__ is not ScalarNode:
                self.error(knode, "complex-key", "mapping keys must be plain strings")
                continue
            if knode.tag == _T + "merge":
                self.error(
                    knode, "merge-key", "merge keys ('<<') are not supported; write the fields out"
                )
                continue
            k = knode.value
            if "\x00" in k:
                self.nul = True
            if k in result:
                self.error(
                    knode,
                    "duplicate-key",
                    f"duplicate key {k!r}: YAML keeps only one of them; remove or rename one",
                )
                continue
            result[k] = self.build(vnode, depth + 1)
        return result


def _tag_text(tag: str) -> str:
    return "!!" + tag.removeprefix(_T) if tag.startswith(_T) else tag


# What to do about libyaml's (and PyYAML's) common syntax errors: (words of the problem, words
# of the context or "", hint). The first match wins; the words are the parsers' own.
_HINTS: tuple[tuple[str, str, str], ...] = (
    (
        "mapping values are not allowed",
        "",
        "check that this line is indented like the keys around it, that the key on the line "
        "above has a space after its colon (key: value), and quote a value that contains ': ' "
        '(description: "Note: fast")',
    ),
    (
        "could not find expected ':'",
        "",
        "this key has no ': ' after it: put a space after the colon (key: value), or quote "
        "a value that goes on over several lines",
    ),
    (
        "did not find expected key",
        "",
        "check the indentation: the keys of one mapping start in the same column, and nothing "
        "may follow a quoted value on its line",
    ),
    (
        "expected <block end>",
        "",
        "check the indentation: the keys of one mapping start in the same column, and nothing "
        "may follow a quoted value on its line",
    ),
    (
        "did not find expected '-' indicator",
        "",
        "list items and keys are mixed at one indentation: start every item of the list with "
        "'- ' in the same column",
    ),
    (
        "unexpected end of stream",
        "quoted scalar",
        "a quoted value has no closing quote: end it with the same quote character it opens with",
    ),
    (
        "did not find expected ',' or ']'",
        "",
        "a [list] is not closed, or an item in it needs quotes: close it with ']' and quote "
        "items that contain ':', ',', '[' or ']'",
    ),
    (
        "did not find expected ',' or '}'",
        "",
        "a {mapping} is not closed, or a value in it needs quotes: close it with '}' and quote "
        "values that contain ':', ',', '{' or '}'",
    ),
    (
        "cannot start any token",
        "",
        "a plain value cannot start with @, ` or %: put the value in quotes",
    ),
    (
        "expected alphabetic or numeric character",
        "alias",
        "'*' starts an alias: put a value that begins with '*' in quotes",
    ),
    (
        "expected alphabetic or numeric character",
        "anchor",
        "'&' starts an anchor: put a value that begins with '&' in quotes",
    ),
    (
        "unknown escape character",
        "",
        "in double quotes a backslash starts an escape: write \\\\ for a backslash, or use "
        "single quotes",
    ),
    (
        "expected comment or line break",
        "block scalar",
        "after '|' or '>' start the text on the next line, indented",
    ),
    (
        "expected <document start>",
        "",
        "text after the end of the document: check the indentation of this line, and put "
        "'---' on a line of its own",
    ),
    (
        "undefined alias",
        "",
        "an alias '*name' needs an anchor '&name' earlier in the same document: define the "
        "anchor first, or quote a value that starts with '*'",
    ),
)
# Problems reported where the parser gave up, often the line after the mistake; the context
# mark (the key or opening quote that was being read) is where to look.
_AT_CONTEXT = ("could not find expected ':'", "unexpected end of stream")


def _hint(problem: str, context: str) -> str | None:
    for words, where, hint in _HINTS:
        if words in problem and where in context:
            return hint
    return None


def _reader_diagnostic(path: str, text: str) -> Diagnostic | None:
    """A character YAML does not allow, named and located (the reader's own error has neither
    a mark nor, with libyaml, a character offset)."""
    found = NOT_YAML_PRINTABLE.search(text)
    if found is None:
        return None
    at = found.start()
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    more = len(NOT_YAML_PRINTABLE.findall(text, at + 1))
    return Diagnostic(
        path,
        line,
        col,
        "control-character",
        f"the control character {label(found.group())} is not allowed in YAML"
        + (f" ({more} more in this file)" if more else "")
        + "; delete it (an editor that shows invisible characters finds it)",
    )


def _syntax_diagnostic(path: str, err: yaml.YAMLError, text: str) -> Diagnostic:
    if isinstance(err, yaml.reader.ReaderError):
        found = _reader_diagnostic(path, text)
        if found is not None:
            return found
    # Only the problem text is used, never the error's snippet: it could quote a secret.
    problem = getattr(err, "problem", None) or "invalid YAML"
    context = getattr(err, "context", None)
    context_mark = getattr(err, "context_mark", None)
    mark = getattr(err, "problem_mark", None) or context_mark
    at = mark.index if mark is not None else -1
    if context_mark is not None and any(p in problem for p in _AT_CONTEXT):
        mark = context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    if "'\\t'" in problem or (0 <= at < len(text) and text[at] == "\t"):
        message = "tab character where YAML expects spaces; indent with spaces only"
    else:
        message = f"{context}, {problem}" if context else problem
        message = "invalid YAML: " + message
        hint = _hint(problem, context or "")
        if hint is not None:
            message += "; " + hint
        opened = context_mark if "flow" in (context or "") else None
        if opened is not None and mark is not None and opened.line != mark.line:
            # the bracket to close is on another line than where the parser gave up
            message += f" (it opens at line {opened.line + 1})"
    return Diagnostic(path, line, col, "yaml-syntax", message)


def _is_sops(node: Node) -> bool:
    return isinstance(node, MappingNode) and any(
        k.value == "sops" and isinstance(v, MappingNode) for k, v in node.value
    )


def read_text(path: str | os.PathLike[str], display: str) -> tuple[str | None, Diagnostic | None]:
    """The file's text, or a diagnostic saying why it cannot be read."""
    try:
        raw, size = read_regular(path, MAX_FILE_BYTES)
    except NotRegularFile as exc:
        return None, Diagnostic(
            display,
            0,
            0,
            "not-a-regular-file",
            f"{exc.strerror}, so it was not read; catalog files must be regular files: "
            "remove it, or rename it so that it does not end in .yaml or .yml",
        )
    except OSError as exc:
        return None, Diagnostic(display, 0, 0, "unreadable", f"cannot read file: {exc.strerror}")
    if len(raw) > MAX_FILE_BYTES:
        return None, Diagnostic(
            display,
            0,
            0,
            "file-too-large",
            f"file is {size / 1048576:.1f} MiB, over the "
            f"{MAX_FILE_BYTES // 1048576} MiB limit; split it into "
            "several files",
        )
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Diagnostic(
            display,
            line,
            col,
            "not-utf8",
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
        )


def _may_nest_deeply(text: str) -> bool:
    """Cheap upper bound: False when ``text`` cannot nest anywhere near ``_SAFE_NESTING``."""
    openers = text.count("[") + text.count("{")
    return openers >= _FLOW_OPENERS_LIMIT or _LONG_INDENT.search("\n" + text) is not None


def _deep_event(loader: Any) -> yaml.Event | None:
    """The first collection start deeper than ``MAX_DEPTH`` in ``loader``'s event stream."""
    depth = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return event
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _nesting_problem(text: str, display: str) -> Diagnostic | None:
    """Walk the event stream (libyaml's parser is iterative) and report nesting over
    ``MAX_DEPTH`` or a syntax error before the recursive composer sees the text."""
    loader = _Loader(text)
    try:
        event = _deep_event(loader)
    except yaml.YAMLError as err:
        # libyaml (PyYAML >= 6.0.4) stops deep flow collections itself while its scanner reads
        # ahead, before any event reaches us. PyYAML's pure-Python parser is iterative and has
        # no such limit, so it finds where the nesting crosses MAX_DEPTH; on an ordinary syntax
        # error it fails too, and libyaml's message stands.
        try:
            event = _deep_event(yaml.SafeLoader(text))
        except yaml.YAMLError:
            event = None
        if event is None:
            return _syntax_diagnostic(display, err, text)
    finally:
        loader.dispose()
    if event is None:
        return None
    mark = event.start_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    return Diagnostic(display, line, col, "too-deep", _TOO_DEEP)


def load_text(text: str, display: str) -> LoadedFile:
    """Parse every document of ``text``; problems are returned, not raised."""
    result = LoadedFile(display)
    if _may_nest_deeply(text):
        problem = _nesting_problem(text, display)
        if problem is not None:
            result.diagnostics.append(problem)
            return result
    loader = _Loader(text)
    source = Source(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if index == 0 and _is_sops(node):
                result.is_sops = True
                return result
            ctor = _Constructor(display, result.diagnostics)
            data = ctor.build(node, 0)
            result.documents.append(Document(display, index, data, source, ctor.nul))
            index += 1
    except yaml.YAMLError as err:
        result.diagnostics.append(_syntax_diagnostic(display, err, text))
    except RecursionError:
        result.diagnostics.append(Diagnostic(display, 0, 0, "too-deep", _TOO_DEEP))
    finally:
        loader.dispose()
    return result
