"""Whether a file is a LiteLLM proxy config, and its text with whatever could be a secret hidden.

``litellm-config`` shows a file's content only in ``--check``'s diff (``recognize``) and
overwrites a file only with ``--out`` (``not_a_config``). A file that is not a LiteLLM config
(a dotenv or Kubernetes Secret written by ``--secrets-out``, a SOPS file, a catalog document
with a literal key, anything that is not YAML) is told apart by its shape and never shown. In
a config the value of every key that may hold a secret is hidden unless it is an
``os.environ/`` reference, as are URLs with a credential in them and comments the rendering
does not hold.

The test is structural: one YAML document whose root is a mapping with ``model_list``, a list
of mappings, which is what the renderer always writes (and what the proxy reads), and none of
the marks of the files above (``sops``, ``apiVersion`` and ``kind``, a catalog ``kind``). It
reads the parser's events in one pass, spans from their marks, so a large config is quick and
no nesting is too deep. Nothing of the file reaches a result but the text pieces a config
shows (never a parser message, which may quote the file); the words are
reconciler.render.litellm_outputs'.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import yaml

from reconciler.catalog.content import names_a_credential, url_credential
from reconciler.providers.mapping import NO_KEY_PLACEHOLDER
from reconciler.providers.table import PROVIDERS


class Shape(Enum):
    """What a file that is not a LiteLLM config looks like."""

    NOT_TEXT = "not-text"  # not UTF-8
    DOTENV = "dotenv"  # NAME=value lines, as --secrets-out writes them
    NOT_YAML = "not-yaml"  # not one YAML document
    NOT_MAPPING = "not-mapping"  # YAML whose root is no mapping (or nothing but comments)
    SOPS = "sops"  # a SOPS-encrypted file (a top-level ``sops`` key)
    KUBERNETES = "kubernetes"  # apiVersion and kind: a manifest such as a Secret
    CATALOG = "catalog"  # a catalog document (kind Model, ProviderCredential, Settings)
    NO_MODEL_LIST = "no-model-list"  # a mapping without a model_list of mappings


class Hidden(Enum):
    """A piece of a config's text that is not shown."""

    SECRET = "secret"  # noqa: S105 (a kind of piece, not a secret): the value of a secret-bearing key, or a URL with a credential
    COMMENT = "comment"  # a comment the rendering does not hold


Shown = tuple["str | Hidden", ...]


@dataclass(frozen=True)
class NotAConfig:
    """The file is not a LiteLLM config; ``line``/``column`` (1-based) where YAML reading
    stopped, for NOT_YAML."""

    shape: Shape
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Config:
    """A LiteLLM config (or a blank file: nothing in it to hide or to lose), as it may be
    shown."""

    shown: Shown


# The litellm keywords the renderer passes secrets under (the provider table's routes), the
# proxy's master key, and LiteLLM's other secret parameters a hand-written config may hold.
SECRET_KEYS: frozenset[str] = frozenset(
    {keyword for p in PROVIDERS.values() for keyword in p.route.secrets.values()}
    | {
        "master_key",
        "database_url",
        "aws_session_token",
        "aws_web_identity_token",
        "azure_ad_token",
        "client_secret",
        "vertex_credentials",
    }
)
# Words in a key's name that say its value is a credential though names_a_credential (the
# catalog's query-parameter rule, which ends on key/token/secret/...) misses it: a webhook URL
# lets anyone post (slack_webhook_url, alert_to_webhook_url, SLACK_WEBHOOK_URL under
# environment_variables), a DSN or connection string holds a key (sentry_dsn,
# AZURE_STORAGE_CONNECTION_STRING), and litellm_license is LiteLLM's enterprise key.
_SECRET_NAME_WORDS = ("webhook", "dsn", "license", "connectionstring", "connstr")
_REFERENCE = re.compile(r"os\.environ/[A-Za-z_][A-Za-z0-9_]*")
_DOTENV_LINE = re.compile(r"\s*(export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=")
_CATALOG_KINDS = frozenset({"Model", "ProviderCredential", "Settings"})
_NUMBERS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null"))


def recognize(data: bytes, rendered: str = "") -> Config | NotAConfig:
    """Whether ``data`` is a LiteLLM config, and if so its text with secrets hidden. A comment
    line that ``rendered`` holds too (the renderer's header) is shown."""
    read = _read(data)
    if isinstance(read, NotAConfig):
        return read
    text, walk = read
    if walk is None:
        return Config((text,) if text else ())
    return Config(_shown(text, walk, frozenset(rendered.splitlines())))


def not_a_config(data: bytes) -> NotAConfig | None:
    """What ``data`` is when it is no LiteLLM config (None: a config, or blank)."""
    read = _read(data)
    return read if isinstance(read, NotAConfig) else None


def _read(data: bytes) -> NotAConfig | tuple[str, _Walk | None]:
    """The text and its walk, or what the file is; a blank file has no walk."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return NotAConfig(Shape.NOT_TEXT)
    if not text.strip():
        return text, None
    if _dotenv(text):
        return NotAConfig(Shape.DOTENV)
    walk = _Walk()
    try:
        walk.run(text)
    except yaml.MarkedYAMLError as err:  # its message may quote the file: never kept
        mark = err.problem_mark or err.context_mark
        if mark is None:
            return NotAConfig(Shape.NOT_YAML)
        return NotAConfig(Shape.NOT_YAML, mark.line + 1, mark.column + 1)
    except yaml.YAMLError:
        return NotAConfig(Shape.NOT_YAML)
    except _Problem as problem:
        return NotAConfig(Shape.NOT_YAML, problem.line, problem.column)
    shape = walk.shape()
    if shape is not None:
        return NotAConfig(shape)
    return text, walk


def _dotenv(text: str) -> bool:
    lines = [s for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")]
    return bool(lines) and all(_DOTENV_LINE.match(s) for s in lines)


class _Problem(Exception):
    """What PyYAML's composer would refuse (a second document, an undefined alias), found in
    the event stream: where (1-based line and column)."""

    def __init__(self, mark: Any) -> None:
        super().__init__()
        self.line = mark.line + 1 if mark is not None else None
        self.column = mark.column + 1 if mark is not None else None


def _at(mark: Any) -> int:
    """A mark's character offset (every event of both parsers has its marks)."""
    return int(mark.index) if mark is not None else 0


@dataclass
class _Frame:
    """An open mapping or sequence: where it starts, its anchor, and (mappings) whether the
    next node is a key and the last key's name."""

    mapping: bool
    start: int
    anchor: str | None
    depth: int
    hide: bool = False
    expect_key: bool = True
    key: str = ""
    children: list[bool] = field(default_factory=list)  # (model_list) each child a mapping


class _Walk:
    """One pass over the parser's events (libyaml's parser where PyYAML has it: iterative and
    fast, where composing a large config node by node is not): the top-level keys, the spans
    of every scalar and of every value to hide."""

    def __init__(self) -> None:
        self.hidden: list[tuple[int, int]] = []
        self.scalars: list[tuple[int, int]] = []
        # top-level key -> (its scalar value, whether its value is a list of mappings only)
        self.top: dict[str, tuple[str | None, bool]] = {}
        self.root_mapping = False
        self.documents = 0
        # anchor -> (span, whether a mapping); a node still open has no end yet (None)
        self.anchors: dict[str, tuple[int, int | None, bool]] = {}
        self.stack: list[_Frame] = []

    def run(self, text: str) -> None:
        loader = _LOADER(text)
        try:
            while loader.check_event():
                self._event(loader.get_event())  # type: ignore[no-untyped-call]
        finally:
            loader.dispose()

    def shape(self) -> Shape | None:
        """None for a LiteLLM config."""
        if not self.root_mapping:
            return Shape.NOT_MAPPING
        if "sops" in self.top:
            return Shape.SOPS
        if "apiVersion" in self.top and "kind" in self.top:
            return Shape.KUBERNETES
        if self.top.get("kind", (None, False))[0] in _CATALOG_KINDS:
            return Shape.CATALOG
        if self.top.get("model_list", (None, False))[1]:
            return None
        return Shape.NO_MODEL_LIST

    def _event(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Problem(event.start_mark)
        elif isinstance(event, yaml.ScalarEvent):
            span = (_at(event.start_mark), _at(event.end_mark))
            self.scalars.append(span)
            if _has_url_credential(event.value):
                self.hidden.append(span)
            self._node(event, span, event, mapping=False)
        elif isinstance(event, yaml.AliasEvent):
            anchor = self.anchors.get(event.anchor or "")
            if anchor is None:
                raise _Problem(event.start_mark)
            start, end, mapping = anchor
            self._node(event, None, None, mapping=mapping, alias=(start, end))
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            mapping = isinstance(event, yaml.MappingStartEvent)
            if event.anchor is not None:
                self.anchors[event.anchor] = (_at(event.start_mark), None, mapping)
            parent = self.stack[-1] if self.stack else None
            if parent is not None and parent.mapping and parent.expect_key:
                parent.key = ""  # a collection as a key: no name to go by
            frame = _Frame(mapping, _at(event.start_mark), event.anchor, len(self.stack))
            frame.hide = self._secret_value(parent)
            if parent is None:
                self.root_mapping = mapping
            self.stack.append(frame)
        elif isinstance(event, yaml.CollectionEndEvent):
            frame = self.stack.pop()
            span = (frame.start, _at(event.end_mark))
            if frame.anchor is not None:
                self.anchors[frame.anchor] = (*span, frame.mapping)
            if frame.hide:
                self.hidden.append(span)
            parent = self.stack[-1] if self.stack else None
            top_value = parent is not None and parent.depth == 0 and not parent.expect_key
            if parent is not None and top_value and parent.mapping:
                self.top[parent.key] = (None, not frame.mapping and all(frame.children))
            self._child_done(parent, frame.mapping)

    def _node(
        self,
        event: yaml.NodeEvent,
        span: tuple[int, int] | None,
        scalar: yaml.ScalarEvent | None,
        *,
        mapping: bool,
        alias: tuple[int, int | None] | None = None,
    ) -> None:
        """A scalar (``scalar``, at ``span``) or an alias (to the anchored node at ``alias``;
        its end None while that node is still open)."""
        value = None if scalar is None else scalar.value
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.mapping and parent.expect_key:
            parent.key = value if value is not None else ""
        else:
            secret = self._secret_value(parent)
            if secret and not (scalar is not None and _plain_value(scalar, parent)):
                if alias is not None:
                    self._hide_anchor(alias)
                elif span is not None:
                    self.hidden.append(span)
            if parent is not None and parent.depth == 0 and parent.mapping:
                self.top[parent.key] = (value, False)
        if event.anchor is not None and span is not None:
            self.anchors[event.anchor] = (*span, False)
        self._child_done(parent, mapping)

    def _hide_anchor(self, alias: tuple[int, int | None]) -> None:
        start, end = alias
        if end is not None:
            self.hidden.append((start, end))
            return
        for frame in self.stack:  # an alias to a node still open: hide all of it
            if frame.start == start:
                frame.hide = True

    @staticmethod
    def _secret_value(parent: _Frame | None) -> bool:
        """Whether the node starting now is the value of a secret-bearing key."""
        if parent is None or not parent.mapping or parent.expect_key:
            return False
        return _secret_key(parent.key)

    @staticmethod
    def _child_done(parent: _Frame | None, mapping: bool) -> None:
        if parent is None:
            return
        if parent.mapping:
            parent.expect_key = not parent.expect_key
        else:
            parent.children.append(mapping)


_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()


def _scalar_kind(event: yaml.ScalarEvent) -> str:
    """The scalar's tag, as the composer would resolve it."""
    if event.tag not in (None, "!"):
        return str(event.tag)
    return str(_RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit))  # type: ignore[no-untyped-call]


def _has_url_credential(value: str) -> bool:
    # url_credential looks for user:password@ and query or fragment parameters
    return ("@" in value or "?" in value or "#" in value) and url_credential(value) is not None


@functools.lru_cache(maxsize=1024)  # a config repeats a few key names many times
def _secret_key(name: str) -> bool:
    if name in SECRET_KEYS or names_a_credential(name):
        return True
    word = name.lower().replace("-", "").replace("_", "")
    return any(part in word for part in _SECRET_NAME_WORDS)


def _plain_value(scalar: yaml.ScalarEvent, parent: _Frame | None) -> bool:
    """Whether a secret-bearing key's scalar value may be shown: an ``os.environ/`` reference,
    the placeholder key, or (for a key secret by its name only) a number, boolean or null."""
    if _REFERENCE.fullmatch(scalar.value) or scalar.value == NO_KEY_PLACEHOLDER:
        return True
    by_name = parent is not None and parent.key not in SECRET_KEYS
    return by_name and _scalar_kind(scalar) in _NUMBERS


def _comments(
    text: str, scalars: list[tuple[int, int]], keep: frozenset[str]
) -> list[tuple[int, int]]:
    """Spans of the comments: from a '#' outside every scalar to the end of its line (a '#'
    that is content is inside a scalar; one in a tag is hidden too, which loses nothing). A
    whole comment line in ``keep`` is shown."""
    ordered = sorted(scalars)  # scalars never overlap
    starts = [s for s, _ in ordered]
    found: list[tuple[int, int]] = []
    pos = text.find("#")
    while pos != -1:
        at = bisect.bisect_right(starts, pos) - 1
        if at >= 0 and pos < ordered[at][1]:
            pos = text.find("#", pos + 1)
            continue
        line_start = text.rfind("\n", 0, pos) + 1
        line_start = text.rfind("\r", line_start, pos) + 1 or line_start
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end
        cr = text.find("\r", pos, end)
        end = end if cr == -1 else cr
        line = text[line_start:end]
        if not (line.lstrip().startswith("#") and line in keep):
            found.append((pos, end))
        pos = text.find("#", end)
    return found


def _shown(text: str, walk: _Walk, keep: frozenset[str]) -> Shown:
    marked = sorted(
        [(s, e, Hidden.SECRET) for s, e in walk.hidden]
        + [(s, e, Hidden.COMMENT) for s, e in _comments(text, walk.scalars, keep)]
    )
    pieces: list[str | Hidden] = []
    pos = 0
    for start, end, what in marked:
        if end <= pos:
            continue  # inside a span already hidden
        start = max(start, pos)
        if start > pos:
            pieces.append(text[pos:start])
        inner = text[start:end]
        body = inner.rstrip()
        if body:
            pieces.append(what)
        if len(body) < len(inner):  # a block scalar's trailing line breaks keep the lines
            pieces.append(inner[len(body) :])
        pos = end
    if pos < len(text):
        pieces.append(text[pos:])
    return tuple(pieces)
