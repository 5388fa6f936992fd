"""Whether a file is a LiteLLM proxy config, and its text with whatever could be a secret hidden.

``litellm-config`` shows a file's content only in ``--check``'s diff and overwrites a file only
with ``--out``; both first ask ``recognize``. A file that is not a LiteLLM config (a dotenv or
Kubernetes Secret written by ``--secrets-out``, a SOPS file, a catalog document with a literal
key, anything that is not YAML) is told apart by its shape and never shown. In a config the
value of every key that may hold a secret is hidden unless it is an ``os.environ/`` reference,
as are URLs with a credential in them and comments the rendering does not hold.

The test is structural: one YAML document whose root is a mapping with ``model_list``, a list
of mappings, which is what the renderer always writes (and what the proxy reads). Nothing of
the file reaches a result but the text pieces a config shows; the words are
reconciler.render.litellm_outputs'.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import Enum

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
_REFERENCE = re.compile(r"os\.environ/[A-Za-z_][A-Za-z0-9_]*")
_DOTENV_LINE = re.compile(r"\s*(export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=")
_CATALOG_KINDS = frozenset({"Model", "ProviderCredential", "Settings"})
_NUMBERS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null"))


def recognize(data: bytes, rendered: str = "") -> Config | NotAConfig:
    """Whether ``data`` is a LiteLLM config, and if so its text with secrets hidden. A comment
    line that ``rendered`` holds too (the renderer's header) is shown."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return NotAConfig(Shape.NOT_TEXT)
    if not text.strip():
        return Config((text,) if text else ())
    if _dotenv(text):
        return NotAConfig(Shape.DOTENV)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:  # its message may quote the file: never kept
        mark = err.problem_mark or err.context_mark
        if mark is None:
            return NotAConfig(Shape.NOT_YAML)
        return NotAConfig(Shape.NOT_YAML, mark.line + 1, mark.column + 1)
    except (yaml.YAMLError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        return NotAConfig(Shape.NOT_YAML)
    if not isinstance(root, yaml.MappingNode):  # None: nothing but comments
        return NotAConfig(Shape.NOT_MAPPING)
    shape = _shape(root)
    if shape is not None:
        return NotAConfig(shape)
    return Config(_shown(text, root, frozenset(rendered.splitlines())))


def _dotenv(text: str) -> bool:
    lines = [s for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")]
    return bool(lines) and all(_DOTENV_LINE.match(s) for s in lines)


def _shape(root: yaml.MappingNode) -> Shape | None:
    """None for a LiteLLM config."""
    top = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    if "sops" in top:
        return Shape.SOPS
    if "apiVersion" in top and "kind" in top:
        return Shape.KUBERNETES
    kind = top.get("kind")
    if isinstance(kind, yaml.ScalarNode) and kind.value in _CATALOG_KINDS:
        return Shape.CATALOG
    models = top.get("model_list")
    if isinstance(models, yaml.SequenceNode) and all(
        isinstance(m, yaml.MappingNode) for m in models.value
    ):
        return None
    return Shape.NO_MODEL_LIST


def _plain_value(node: yaml.Node, by_name: bool) -> bool:
    """Whether a secret-bearing key's value may be shown: an ``os.environ/`` reference, the
    placeholder key, or (for a key secret by its name only) a number, boolean or null."""
    if not isinstance(node, yaml.ScalarNode):
        return False
    if by_name and node.tag in _NUMBERS:
        return True
    return bool(_REFERENCE.fullmatch(node.value)) or node.value == NO_KEY_PLACEHOLDER


def _spans(root: yaml.Node) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(hidden spans, every scalar's span) as character offsets. Iterative, and each node once:
    aliases share nodes, and a document can refer to itself."""
    hidden: list[tuple[int, int]] = []
    scalars: list[tuple[int, int]] = []
    seen: set[int] = set()
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        span = (node.start_mark.index, node.end_mark.index)
        if isinstance(node, yaml.ScalarNode):
            scalars.append(span)
            if isinstance(node.value, str) and url_credential(node.value) is not None:
                hidden.append(span)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                name = key.value if isinstance(key, yaml.ScalarNode) else ""
                explicit = name in SECRET_KEYS
                secret = explicit or names_a_credential(name)
                if secret and not _plain_value(value, by_name=not explicit):
                    hidden.append((value.start_mark.index, value.end_mark.index))
                    _scalar_spans(value, scalars, seen)
                    continue
                stack.append(value)
    return hidden, scalars


def _scalar_spans(node: yaml.Node, scalars: list[tuple[int, int]], seen: set[int]) -> None:
    """The scalars under a hidden value still count as scalars: a '#' in them is no comment."""
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            scalars.append((current.start_mark.index, current.end_mark.index))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            for pair in current.value:
                stack.extend(pair)


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
        line_start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
        ends = [i for i in (text.find("\n", pos), text.find("\r", pos)) if i != -1]
        end = min(ends) if ends else len(text)
        line = text[line_start:end]
        if not (line.lstrip().startswith("#") and line in keep):
            found.append((pos, end))
        pos = text.find("#", end)
    return found


def _shown(text: str, root: yaml.Node, keep: frozenset[str]) -> Shown:
    hidden, scalars = _spans(root)
    marked = sorted(
        [(s, e, Hidden.SECRET) for s, e in hidden]
        + [(s, e, Hidden.COMMENT) for s, e in _comments(text, scalars, keep)]
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
