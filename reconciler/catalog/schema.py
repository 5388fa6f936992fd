"""Published JSON Schemas: generated from ``spec``, read back from ``schemas/`` to validate.

Discriminated unions are written as ``if``/``then`` on the discriminator rather than ``oneOf``
so that a bad field in a bedrock credential is reported as that field, not as "matches none
of four alternatives".
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter

from reconciler.catalog import spec
from reconciler.catalog.fastcheck import Unsupported, compile_schema
from reconciler.catalog.yamlio import Document
from reconciler.diagnostics import Diagnostic

if TYPE_CHECKING:
    # jsonschema (~40 ms to import) only runs on documents the compiled pre-check rejects,
    # so it is imported there: a valid catalog never loads it.
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "urn:llm-registry-reconciler:schema:"
KIND_FILES = {
    "ProviderCredential": "provider-credential.schema.json",
    "Model": "model.schema.json",
    "Settings": "settings.schema.json",
}
DOCUMENT_FILE = "catalog-document.schema.json"


def _schema_id(filename: str) -> str:
    return ID_BASE + filename.removesuffix(".schema.json")


def _dispatch(prop: str, cases: Mapping[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [prop],
        "properties": {prop: {"enum": list(cases), "description": description}},
        "allOf": [
            {"if": {"properties": {prop: {"const": value}}, "required": [prop]}, "then": target}
            for value, target in cases.items()
        ],
    }


def _finish(schema: dict[str, Any], filename: str, title: str) -> dict[str, Any]:
    head = {"$schema": DIALECT, "$id": _schema_id(filename), "title": title}
    return head | {k: v for k, v in schema.items() if k != "title"}


def _credential_schema() -> dict[str, Any]:
    generated = TypeAdapter(spec.ProviderCredential).json_schema()
    mapping = generated["discriminator"]["mapping"]
    body = _dispatch(
        "provider",
        {value: {"$ref": ref} for value, ref in mapping.items()},
        "Provider the credential authenticates to.",
    )
    body["description"] = "A named provider credential; secrets are references, never values."
    body["$defs"] = generated["$defs"]
    return _finish(body, KIND_FILES["ProviderCredential"], "ProviderCredential")


def _model_schema(model: type[BaseModel], kind: str) -> dict[str, Any]:
    return _finish(model.model_json_schema(), KIND_FILES[kind], kind)


def generate() -> dict[str, dict[str, Any]]:
    """Every published schema, by file name."""
    out = {
        KIND_FILES["ProviderCredential"]: _credential_schema(),
        KIND_FILES["Model"]: _model_schema(spec.ModelSpec, "Model"),
        KIND_FILES["Settings"]: _model_schema(spec.SettingsSpec, "Settings"),
    }
    document = _dispatch(
        "kind",
        {kind: {"$ref": _schema_id(name)} for kind, name in KIND_FILES.items()},
        "Kind of catalog document.",
    )
    document["description"] = "Any document of an LLM registry catalog."
    out[DOCUMENT_FILE] = _finish(document, DOCUMENT_FILE, "CatalogDocument")
    return out


def render(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


# --- validation ----------------------------------------------------------------------------


@cache
def published() -> dict[str, dict[str, Any]]:
    """The schema files shipped in ``schemas/`` (the package ``reconciler.schemas``)."""
    root = resources.files("reconciler.schemas")
    return {
        name: json.loads(root.joinpath(name).read_text("utf-8"))
        for name in [*KIND_FILES.values(), DOCUMENT_FILE]
    }


@cache
def document_validator() -> Validator:
    import jsonschema
    import referencing

    schemas = published()
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (s["$id"], referencing.Resource.from_contents(s)) for s in schemas.values()
    )
    cls = jsonschema.validators.validator_for(schemas[DOCUMENT_FILE])
    return cls(schemas[DOCUMENT_FILE], registry=registry, format_checker=cls.FORMAT_CHECKER)


@cache
def fast_check() -> Callable[[Any], bool] | None:
    """A quick yes/no validator compiled from the same schemas (see ``fastcheck``), or None
    when they use a keyword it does not implement."""
    schemas = published()
    try:
        return compile_schema(schemas[DOCUMENT_FILE], {s["$id"]: s for s in schemas.values()})
    except Unsupported:
        return None


_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


def _dotted(path: Iterator[Any] | list[Any]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in path]
    return ".".join(parts).replace(".[", "[")


def _is_secret_ref(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("x-secret-reference"):
        return True
    return any(_is_secret_ref(s) for s in schema.get("anyOf", ()))


def _type_text(expected: Any) -> str:
    names: list[str] = []
    for item in expected if isinstance(expected, list) else [expected]:
        names.extend(item if isinstance(item, list) else [item])
    return " or ".join(_TYPE_NAMES.get(n, n) for n in names)


def _expecting(schema: Any) -> str:
    """The field's description as a hint (it says what a valid value looks like)."""
    text = schema.get("description") if isinstance(schema, dict) else None
    return f"; expected: {text}" if isinstance(text, str) and text else ""


def _describe(err: ValidationError) -> tuple[str, str]:
    """Code and message for one error. Never includes the offending value: it may be a secret."""
    from jsonschema.exceptions import best_match

    v, schema = err.validator, err.schema
    expected: Any = err.validator_value
    if _is_secret_ref(schema) and isinstance(err.instance, str):
        return "plaintext-secret", (
            "plaintext secrets are not allowed in the catalog; reference the secret with "
            "{env: VAR}, {sops: {file, key}} or {aws_secretsmanager: {secret_id}}"
        )
    if v in ("anyOf", "oneOf") and err.context:
        # An instance of the right type failing a branch's constraint is the real problem;
        # type mismatches against the other branches (often just null) are noise.
        specific = [e for e in err.context if e.validator not in ("type", "const")]
        concrete = [e for e in specific if e.validator not in ("required", "not")]
        hint = schema.get("description") if isinstance(schema, dict) else None
        if concrete:
            return _describe(best_match(concrete))
        if specific and hint and v == "oneOf":
            return "invalid-form", f"must use exactly one allowed form: {hint}"
        if specific:
            return _describe(best_match(specific))
        if all(e.validator == "type" for e in err.context):
            return "wrong-type", "must be " + _type_text([e.validator_value for e in err.context])
        return "invalid-form", "does not match any allowed form" + (f": {hint}" if hint else "")
    if v == "oneOf":
        hint = schema.get("description") if isinstance(schema, dict) else None
        return "invalid-form", "must use exactly one allowed form" + (f": {hint}" if hint else "")
    if v == "required":
        return "missing-field", err.message.replace(" is a required property", "") + (
            " is required"
        )
    if v == "type":
        return "wrong-type", f"must be {_type_text(expected)}"
    if v == "enum":
        allowed = [str(x) for x in expected]
        close = (
            difflib.get_close_matches(err.instance, allowed, n=1)
            if isinstance(err.instance, str)
            else []
        )
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return "invalid-value", "must be one of: " + ", ".join(allowed) + hint
    if v == "const":
        return "invalid-value", f"must be {json.dumps(expected)}"
    if v == "pattern":
        return "invalid-value", f"does not match the expected format ({expected})" + _expecting(
            schema
        )
    if v == "format":
        return "invalid-value", f"is not a valid {expected}" + _expecting(schema)
    if v == "minLength":
        return "invalid-value", "must not be empty" if expected == 1 else (
            f"must be at least {expected} characters"
        )
    if v == "exclusiveMinimum":
        return "invalid-value", f"must be greater than {expected}"
    if v == "minimum":
        return "invalid-value", f"must be at least {expected}"
    if v == "not":
        return "invalid-form", "uses a combination of fields that is not allowed"
    return "schema", f"fails the schema rule '{v}'"


def _unknown_fields(err: ValidationError) -> Iterator[tuple[str, str]]:
    known = list(err.schema.get("properties", {})) if isinstance(err.schema, dict) else []
    instance = err.instance if isinstance(err.instance, dict) else {}
    for key in instance:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(known)}"
            yield str(key), f"unknown field '{key}'{hint}"


def schema_diagnostics(doc: Document) -> list[Diagnostic]:
    """Every schema problem of one document, located in its file."""
    quick = fast_check()
    if quick is not None and quick(doc.data):
        return []  # valid: jsonschema would report nothing (a property test holds them equal)
    from jsonschema.exceptions import best_match

    out: list[Diagnostic] = []
    for err in document_validator().iter_errors(doc.data):
        path = list(err.absolute_path)
        if err.validator == "additionalProperties":
            for key, message in _unknown_fields(err):
                line, col = doc.locate([*path, key], key=True)
                out.append(Diagnostic(doc.path, line, col, "unknown-field", message))
            continue
        code, message = _describe(err)
        if code != "plaintext-secret" and err.validator in ("anyOf", "oneOf") and err.context:
            specific = [e for e in err.context if e.validator not in ("type", "const")]
            path = list(best_match(specific or err.context).absolute_path) or path
        line, col = doc.locate(path)
        where = _dotted(path)
        out.append(
            Diagnostic(doc.path, line, col, code, f"{where}: {message}" if where else message)
        )
    return out


def write_schemas(directory: str) -> list[str]:
    """Regenerate the published schema files; returns the names written."""
    import pathlib

    written = []
    for name, schema in generate().items():
        target = pathlib.Path(directory) / name
        target.write_text(render(schema), encoding="utf-8")
        written.append(name)
    return written


if __name__ == "__main__":  # python -m reconciler.catalog.schema [DIR]: regenerate schemas/
    import sys

    for written in write_schemas(sys.argv[1] if len(sys.argv) > 1 else "schemas"):
        print(written)
