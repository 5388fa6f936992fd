"""docs/catalog-reference.md: every catalog field, generated from the published schemas.

``python -m reconciler.catalog.reference docs/catalog-reference.md`` writes it; a test fails
when it is stale (as for the schemas themselves).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.catalog import spec
from reconciler.catalog.schema import KIND_FILES, published

HEADER = (
    "# Catalog reference\n\n"
    "Generated from the JSON Schemas in `schemas/` by "
    "`python -m reconciler.catalog.reference docs/catalog-reference.md`; do not edit by hand.\n"
    "Each document has a `kind`; the README's [The catalog](../README.md#the-catalog) shows "
    "examples. Fields marked required must be present; the others may be left out.\n"
)


def _type(schema: Mapping[str, Any]) -> str:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return " or ".join(_type(o) for o in options)
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    return str(kind)


def _rule(schema: Mapping[str, Any]) -> str:
    """Limits worth knowing, from the field or its non-null form."""
    forms = [schema, *[o for o in schema.get("anyOf", ()) if isinstance(o, dict)]]
    notes: list[str] = []
    for form in forms:
        pattern = form.get("pattern")
        if pattern in spec.PATTERN_HELP:
            notes.append(spec.PATTERN_HELP[pattern])
        for key, text in (("maxLength", "at most {} characters"), ("maximum", "at most {}")):
            if key in form:
                notes.append(text.format(form[key]))
        if "exclusiveMinimum" in form:
            notes.append(f"greater than {form['exclusiveMinimum']}")
    if "default" in schema and schema["default"] not in (None, [], {}):
        notes.append(f"default `{json.dumps(schema['default'])}`")
    if "examples" in schema:
        notes.append("suggested: " + ", ".join(f"`{e}`" for e in schema["examples"]))
    return "; ".join(notes)


def _table(schema: Mapping[str, Any]) -> list[str]:
    required = set(schema.get("required", ()))
    rows = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, field in schema.get("properties", {}).items():
        text = str(field.get("description", "")).replace("|", "\\|").replace("\n", " ")
        rule = _rule(field)
        rows.append(
            f"| `{name}` | {_type(field)} | {'yes' if name in required else ''} | "
            f"{text}{' (' + rule + ')' if rule else ''} |"
        )
    return rows


def _section(title: str, schema: Mapping[str, Any], level: str) -> list[str]:
    out = [f"{level} {title}", ""]
    if schema.get("description"):
        out += [str(schema["description"]), ""]
    return [*out, *_table(schema), ""]


def generate() -> str:
    schemas = published()
    lines = [HEADER]
    for kind, file in KIND_FILES.items():
        schema = schemas[file]
        defs: Mapping[str, Any] = schema.get("$defs", {})
        if "properties" in schema and len(schema["properties"]) > 1:
            lines += _section(f"{kind} (`{file}`)", schema, "##")
        else:
            lines += [f"## {kind} (`{file}`)", "", str(schema.get("description", "")), ""]
        for name in sorted(defs):
            lines += _section(name, defs[name], "###")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # python -m reconciler.catalog.reference docs/catalog-reference.md
    Path(sys.argv[1]).write_text(generate(), encoding="utf-8")
