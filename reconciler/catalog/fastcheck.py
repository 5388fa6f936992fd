"""A fast yes/no pre-check of a document against the published JSON Schemas.

``jsonschema`` stays the authority: it produces every diagnostic. It is also slow (a new
validator object per sub-schema per document), so ``schema_diagnostics`` first asks this
checker, compiled once from the same schema files into plain closures, whether a document is
valid, and runs ``jsonschema`` only when it is not.

The checker must never accept what ``jsonschema`` rejects. It therefore understands only the
keywords the published schemas use, is stricter where in doubt (``integer`` is an ``int``,
``enum`` compares types too), and refuses to compile a schema with any other keyword, in which
case every document goes through ``jsonschema``. A property test compares the two.
"""

from __future__ import annotations

import datetime
import math
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

# Keywords with no effect on validity.
_ANNOTATIONS = frozenset(
    {
        "$id",
        "$schema",
        "$defs",  # definitions are reached through $ref
        "title",
        "description",
        "default",
        "examples",
        "x-secret-reference",
    }
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class Unsupported(Exception):
    """The schema uses something this checker does not implement."""


def _is_number(x: Any) -> bool:
    return (x.__class__ is int or x.__class__ is float) and x.__class__ is not bool


_FLOAT_MAX = sys.float_info.max


def is_finite_number(x: Any) -> bool:
    """A JSON number: YAML's .nan and .inf are not, nor an integer too large for a double
    (the registry stores prices as doubles). ``schema.document_validator`` uses the same
    definition for the type "number"."""
    if x.__class__ is float:
        return math.isfinite(x)
    return x.__class__ is int and -_FLOAT_MAX <= x <= _FLOAT_MAX


_TYPES: dict[str, Check] = {
    "string": lambda x: x.__class__ is str,
    "integer": lambda x: x.__class__ is int,
    "number": is_finite_number,
    "boolean": lambda x: x.__class__ is bool,
    "object": lambda x: x.__class__ is dict,
    "array": lambda x: x.__class__ is list,
    "null": lambda x: x is None,
}


def _same(a: Any, b: Any) -> bool:
    """JSON equality, strictly: same type and equal value (no 1 == True == 1.0)."""
    return a.__class__ is b.__class__ and a == b


def _is_date(x: Any) -> bool:
    if x.__class__ is not str:
        return True  # formats only constrain strings
    if not _DATE.fullmatch(x):
        return False
    try:
        datetime.date.fromisoformat(x)
    except ValueError:
        return False
    return True


class _Compiler:
    def __init__(self, resources: Mapping[str, Mapping[str, Any]]) -> None:
        self.resources = resources
        self.memo: dict[tuple[str, str], Check] = {}

    def ref(self, base: str, ref: str) -> Check:
        if ref.startswith("#"):
            uri, pointer = base, ref[1:]
        elif "#" in ref:
            uri, pointer = ref.split("#", 1)
        else:
            uri, pointer = ref, ""
        if uri not in self.resources:
            raise Unsupported(f"unknown $ref {ref!r}")
        key = (uri, pointer)
        if key not in self.memo:
            target: Any = self.resources[uri]
            for part in [p for p in pointer.split("/") if p]:
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise Unsupported(f"unresolvable $ref {ref!r}")
                target = target[part]
            slot: list[Check] = []
            self.memo[key] = lambda x: slot[0](x)  # placeholder while a recursive ref compiles
            slot.append(self.compile(target, uri))
            self.memo[key] = slot[0]
        return self.memo[key]

    def compile(self, schema: Any, base: str) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise Unsupported("schema is not an object")
        base = schema.get("$id", base)
        if "else" in schema or "patternProperties" in schema:
            raise Unsupported("else / patternProperties")
        skip = set(_ANNOTATIONS) | {"then"}
        checks: list[Check] = []
        scalar = _scalar(schema)
        if scalar is not None:
            return scalar
        if schema.get("type") == "object" and isinstance(schema.get("properties"), dict):
            # the common shape, checked in one pass over the mapping
            extra = schema.get("additionalProperties", True)
            checks.append(
                _object(
                    {k: self.compile(v, base) for k, v in schema["properties"].items()},
                    None if extra is True else self.compile(extra, base),
                    tuple(schema.get("required", ())),
                )
            )
            skip |= {"type", "properties", "additionalProperties", "required"}
        checks.extend(
            self.keyword(schema, key, value, base)
            for key, value in schema.items()
            if key not in skip
        )
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        return _all_of(checks)

    def keyword(self, schema: dict[str, Any], key: str, value: Any, base: str) -> Check:
        """One keyword of ``schema`` as a check."""
        simple = _SIMPLE.get(key)
        if simple is not None:
            return simple(value)
        if key == "properties":
            return _properties({k: self.compile(v, base) for k, v in value.items()})
        if key == "additionalProperties":
            return _additional(frozenset(schema.get("properties", {})), self.compile(value, base))
        if key == "items":
            return _items(self.compile(value, base))
        if key == "allOf":
            table = _dispatch_table(value)
            if table is not None:
                prop, branches = table
                return _dispatch(prop, {v: self.compile(t, base) for v, t in branches.items()})
        if key in ("allOf", "anyOf", "oneOf"):
            parts = [self.compile(s, base) for s in value]
            return {"allOf": _all_of, "anyOf": _any_of, "oneOf": _one_of}[key](parts)
        if key == "not":
            return _not(self.compile(value, base))
        if key == "if":
            return _if_then(self.compile(value, base), self.compile(schema.get("then", True), base))
        if key == "$ref":
            return self.ref(base, value)
        raise Unsupported(f"keyword {key!r}")


def _always(x: Any) -> bool:
    return True


def _never(x: Any) -> bool:
    return False


def _object(props: dict[str, Check], extra: Check | None, required: tuple[str, ...]) -> Check:
    def check(x: Any) -> bool:
        if x.__class__ is not dict:
            return False
        for name in required:
            if name not in x:
                return False
        for k, v in x.items():
            f = props.get(k)
            if f is None:
                if extra is not None and not extra(v):
                    return False
            elif not f(v):
                return False
        return True

    return check


def _type(value: Any) -> Check:
    names = value if isinstance(value, list) else [value]
    fns = [_TYPES[n] for n in names]
    if len(fns) == 1:
        return fns[0]
    return lambda x: any(f(x) for f in fns)


def _enum(value: Any) -> Check:
    options = list(value)
    if all(o.__class__ is str for o in options):
        strings = frozenset(options)
        return lambda x: x.__class__ is str and x in strings
    return lambda x: any(_same(x, v) for v in options)


def _const(value: Any) -> Check:
    if value.__class__ is str:
        return lambda x: x.__class__ is str and x == value
    return lambda x: _same(x, value)


def _pattern(value: Any) -> Check:
    rx = re.compile(value)
    return lambda x: x.__class__ is not str or rx.search(x) is not None


def _format(value: Any) -> Check:
    if value != "date":
        raise Unsupported(f"format {value!r}")
    return _is_date


def _min_length(value: Any) -> Check:
    return lambda x: x.__class__ is not str or len(x) >= value


def _max_length(value: Any) -> Check:
    return lambda x: x.__class__ is not str or len(x) <= value


def _minimum(value: Any) -> Check:
    return lambda x: not _is_number(x) or x >= value


def _exclusive_minimum(value: Any) -> Check:
    return lambda x: not _is_number(x) or x > value


def _maximum(value: Any) -> Check:
    return lambda x: not _is_number(x) or x <= value


def _required(value: Any) -> Check:
    names = list(value)
    return lambda x: x.__class__ is not dict or all(k in x for k in names)


_SIMPLE: dict[str, Callable[[Any], Check]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "format": _format,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _minimum,
    "exclusiveMinimum": _exclusive_minimum,
    "maximum": _maximum,
    "required": _required,
}


def _properties(props: dict[str, Check]) -> Check:
    def check(x: Any) -> bool:
        if x.__class__ is not dict:
            return True
        for k, v in x.items():
            f = props.get(k)
            if f is not None and not f(v):
                return False
        return True

    return check


def _additional(known: frozenset[str], extra: Check) -> Check:
    return lambda x: (
        x.__class__ is not dict or all(extra(v) for n, v in x.items() if n not in known)
    )


def _items(item: Check) -> Check:
    return lambda x: x.__class__ is not list or all(item(v) for v in x)


def _all_of(parts: list[Check]) -> Check:
    def check(x: Any) -> bool:
        for f in parts:  # noqa: SIM110 - a plain loop is faster than all() here
            if not f(x):
                return False
        return True

    return check


def _dispatch_table(items: Any) -> tuple[str, dict[str, Any]] | None:
    """``allOf: [{if: {properties: {p: {const: "v"}}, required: [p]}, then: S}, ...]`` (one
    property, distinct string constants) as (p, {v: S}); None for any other shape."""
    prop: str | None = None
    branches: dict[str, Any] = {}
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or set(item) != {"if", "then"}:
            return None
        cond = item["if"]
        if not isinstance(cond, dict) or set(cond) != {"properties", "required"}:
            return None
        props = cond["properties"]
        if not isinstance(props, dict) or len(props) != 1:
            return None
        ((name, sub),) = props.items()
        if cond["required"] != [name] or (prop is not None and name != prop):
            return None
        if not isinstance(sub, dict) or set(sub) != {"const"}:
            return None
        value = sub["const"]
        if not isinstance(value, str) or value in branches:
            return None
        prop = name
        branches[value] = item["then"]
    return (prop, branches) if prop is not None else None


def _dispatch(prop: str, table: dict[str, Check]) -> Check:
    """At most one branch applies: the one whose constant the property holds."""

    def check(x: Any) -> bool:
        if x.__class__ is not dict:
            return True
        value = x.get(prop)
        if value.__class__ is not str:
            return True
        branch = table.get(value)
        return branch is None or branch(x)

    return check


def _any_of(parts: list[Check]) -> Check:
    if len(parts) == 2 and parts[1] is _TYPES["null"]:  # the usual optional field
        first = parts[0]
        return lambda x: x is None or first(x)

    def check(x: Any) -> bool:
        for f in parts:  # noqa: SIM110 - a plain loop is faster than any() here
            if f(x):
                return True
        return False

    return check


_STRING_KEYS = frozenset({"type", "pattern", "minLength", "maxLength", "format"})
_NUMBER_KEYS = frozenset({"type", "minimum", "exclusiveMinimum", "maximum"})


def _scalar(schema: dict[str, Any]) -> Check | None:
    """One closure for a plain string or number schema (the bulk of every document)."""
    keys = set(schema) - _ANNOTATIONS
    kind = schema.get("type")
    if kind == "string" and keys <= _STRING_KEYS:
        rx = re.compile(schema["pattern"]) if "pattern" in schema else None
        least = schema.get("minLength", 0)
        most = schema.get("maxLength")
        date = _format(schema["format"]) if "format" in schema else None

        def string(x: Any) -> bool:
            return (
                x.__class__ is str
                and len(x) >= least
                and (most is None or len(x) <= most)
                and (rx is None or rx.search(x) is not None)
                and (date is None or date(x))
            )

        return string
    if kind in ("number", "integer") and keys <= _NUMBER_KEYS:
        is_type = _TYPES[kind]
        low = schema.get("minimum")
        above = schema.get("exclusiveMinimum")
        high = schema.get("maximum")

        def number(x: Any) -> bool:
            return (
                is_type(x)
                and (low is None or x >= low)
                and (above is None or x > above)
                and (high is None or x <= high)
            )

        return number
    return None


def _one_of(parts: list[Check]) -> Check:
    return lambda x: sum(1 for f in parts if f(x)) == 1


def _not(inner: Check) -> Check:
    return lambda x: not inner(x)


def _if_then(cond: Check, then: Check) -> Check:
    return lambda x: not cond(x) or then(x)


def compile_schema(root: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]) -> Check:
    """A yes/no validator for ``root``; ``resources`` maps schema ``$id`` to schema.

    Raises ``Unsupported`` when the schema uses a keyword this module does not implement."""
    base = str(root.get("$id", ""))
    compiler = _Compiler({**resources, base: root})
    return compiler.compile(root, base)
