"""Published JSON Schemas: generated from ``spec``, read back from ``schemas/`` to validate.

Discriminated unions are written as ``if``/``then`` on the discriminator rather than ``oneOf``
so that a bad field in a bedrock credential is reported as that field, not as "matches none
of four alternatives".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter

from reconciler.catalog import spec
from reconciler.catalog.chars import (
    escape_bidi,
    unsafe_in_name,
    unsafe_in_text,
    unsafe_message,
)
from reconciler.catalog.fastcheck import Unsupported, compile_schema, is_finite_number
from reconciler.catalog.yamlio import Document
from reconciler.diagnostics import Diagnostic
from reconciler.errors import CatalogError
from reconciler.words import closest, did_you_mean, shown_value

if TYPE_CHECKING:
    # jsonschema (~40 ms to import) only runs on documents the compiled pre-check rejects,
    # so it is imported there: a valid catalog never loads it.
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

DIALECT = "https://json-schema.org/draft/2020-12/schema"
KIND_FILES = {
    "ProviderCredential": "provider-credential.schema.json",
    "Model": "model.schema.json",
    "Settings": "settings.schema.json",
}
DOCUMENT_FILE = "catalog-document.schema.json"
# The schemas carry no "$id": the document schema refers to the kinds by relative file name, so
# editors and check-jsonschema resolve them beside it wherever the folder is copied.
# overlay documents (catalog/environments/<name>/): every field optional except the identity
OVERLAY_FILES = {kind: "overlay-" + name for kind, name in KIND_FILES.items()}
_OVERLAY_IDENTITY: dict[str, Any] = {
    "Model": {"anyOf": [{"required": ["slug"]}, {"required": ["display_name"]}]},
    "ProviderCredential": {"required": ["name"]},
    "Settings": {},
}
_NOT_REMOVABLE = frozenset({"kind", "name", "slug", "provider"})


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


def _finish(schema: dict[str, Any], title: str) -> dict[str, Any]:
    head = {"$schema": DIALECT, "title": title}
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
    return _finish(body, "ProviderCredential")


def _model_schema(model: type[BaseModel], kind: str) -> dict[str, Any]:
    return _finish(model.model_json_schema(), kind)


def _optional(obj: dict[str, Any]) -> None:
    """An object schema whose fields are all optional, and may be null (null removes)."""
    obj.pop("required", None)
    for name, prop in obj.get("properties", {}).items():
        if name not in _NOT_REMOVABLE:
            described = {"description": prop["description"]} if "description" in prop else {}
            obj["properties"][name] = described | {"anyOf": [prop, {"type": "null"}]}


def _overlay_schema(kind: str, schema: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in json.loads(json.dumps(schema)).items() if k not in ("$id", "$schema")}
    if kind == "ProviderCredential":
        body.pop("required", None)  # the provider: a patch keeps the base's
        for variant in body["allOf"]:
            _optional(body["$defs"][variant["then"]["$ref"].rsplit("/", 1)[-1]])
    else:
        _optional(body)
    body.update(_OVERLAY_IDENTITY[kind])
    body["description"] = (
        f"An overlay {kind} (catalog/environments/<name>/): patches the base object it names, "
        "or adds a new, complete one."
    )
    return _finish(body, f"Overlay{kind}")


def generate() -> dict[str, dict[str, Any]]:
    """Every published schema, by file name."""
    out = {
        KIND_FILES["ProviderCredential"]: _credential_schema(),
        KIND_FILES["Model"]: _model_schema(spec.ModelSpec, "Model"),
        KIND_FILES["Settings"]: _model_schema(spec.SettingsSpec, "Settings"),
    }
    document = _dispatch(
        "kind",
        {kind: {"$ref": name} for kind, name in KIND_FILES.items()},
        "Kind of catalog document.",
    )
    document["description"] = "Any document of an LLM registry catalog."
    out[DOCUMENT_FILE] = _finish(document, "CatalogDocument")
    for kind, name in KIND_FILES.items():
        out[OVERLAY_FILES[kind]] = _overlay_schema(kind, out[name])
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


SCHEMA_FILES = (*KIND_FILES.values(), DOCUMENT_FILE, *OVERLAY_FILES.values())


def copy_schemas(out_dir: str) -> Path:
    """Copy the published schemas (``SCHEMA_FILES``) into ``out_dir``, made when missing."""
    root = Path(out_dir)
    shipped = resources.files("reconciler.schemas")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in SCHEMA_FILES:
            (root / name).write_text(shipped.joinpath(name).read_text("utf-8"), encoding="utf-8")
    except OSError as err:
        raise CatalogError(
            f"cannot write the schemas to {out_dir}: {err.strerror or err}",
            hint="pass --out a directory you can write to",
        ) from None
    return root


@cache
def document_validator() -> Validator:
    import jsonschema
    import referencing
    import referencing.jsonschema

    # JSON numbers are finite; Python's jsonschema would take YAML's .nan and .inf as numbers.
    base = jsonschema.Draft202012Validator
    types = base.TYPE_CHECKER.redefine("number", lambda _, x: is_finite_number(x))
    extend: Callable[..., type[Validator]] = jsonschema.validators.extend  # untyped upstream
    cls = extend(base, type_checker=types)
    # Without "$schema", a $ref into another file keeps this class; with it, jsonschema picks
    # the stock validator of that dialect (and its type checker) again.
    schemas = {
        name: {k: v for k, v in s.items() if k != "$schema"} for name, s in published().items()
    }
    dialect = referencing.jsonschema.specification_with(DIALECT)
    # keyed by file name: the document's relative $refs resolve to these
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (name, dialect.create_resource(s)) for name, s in schemas.items()
    )
    return cls(schemas[DOCUMENT_FILE], registry=registry, format_checker=base.FORMAT_CHECKER)


@cache
def fast_check() -> Callable[[Any], bool] | None:
    """A quick yes/no validator compiled from the same schemas (see ``fastcheck``), or None
    when they use a keyword it does not implement."""
    schemas = published()
    try:
        return compile_schema(schemas[DOCUMENT_FILE], schemas)
    except Unsupported:
        return None


REFERENCE_FORMS = "{env: VAR}, {sops: {file, key}} or {aws_secretsmanager: {secret_id}}"
_PLAINTEXT = (
    "plaintext secrets are not allowed in the catalog; reference the secret with " + REFERENCE_FORMS
)

_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


def dotted(path: Iterator[Any] | list[Any]) -> str:
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


def _non_finite(instance: Any) -> str | None:
    """What a number the catalog cannot hold is (.nan, .inf, 1e400), or None."""
    if isinstance(instance, bool) or not isinstance(instance, int | float):
        return None
    if is_finite_number(instance):
        return None
    if isinstance(instance, int):
        return "a number this large"
    if instance != instance:
        return "NaN (.nan)"
    return "infinity" if instance > 0 else "-infinity"


def _numeric(expected: Any) -> bool:
    names = expected if isinstance(expected, list) else [expected]
    return "number" in names or "integer" in names


def _not_finite(err: ValidationError) -> tuple[str, str] | None:
    """A .nan or .inf where a number belongs, told as such (not as "must be a number")."""
    shown = _non_finite(err.instance)
    if shown is None:
        return None
    if err.validator == "type":
        expected = [err.validator_value]
    elif err.validator == "anyOf" and err.context:
        expected = [e.validator_value for e in err.context if e.validator == "type"]
    else:
        return None
    if not any(_numeric(x) for x in expected):
        return None
    kind = "a finite number" if any(x == "number" for x in expected) else "a whole number"
    return "invalid-value", f"must be {kind}, not {shown}" + _expecting(err.schema)


def _expecting(schema: Any) -> str:
    """The field's description as a hint (it says what a valid value looks like)."""
    text = schema.get("description") if isinstance(schema, dict) else None
    return f"; expected: {text}" if isinstance(text, str) and text else ""


def _specific(context: list[ValidationError]) -> list[ValidationError]:
    """The errors of an ``anyOf`` that are about the value's content: a type mismatch of the
    value itself against another branch (often just null) is noise, one of a field inside a
    branch of the right type is not."""
    return [e for e in context if e.validator not in ("type", "const") or e.relative_path]


def _in_secret_field(err: ValidationError) -> bool:
    """Whether the value is in a field that holds a secret reference (``x-secret-reference``),
    where any string may be a secret pasted in the wrong place."""
    return in_secret_field(list(err.absolute_path))


def in_secret_field(path: list[Any]) -> bool:
    """``_in_secret_field`` for a document path (the secret fields are top-level keys)."""
    return bool(path) and path[0] in spec.SECRET_FIELDS


def pattern_message(pattern: Any, value: Any, path: list[Any], expecting: str = "") -> str:
    """What is wrong with a value that fails its pattern, quoting the value unless it may be a
    secret: anywhere in a secret field, but for an env name that reads as a name (the rule of
    ``_bad_env_name``); never a URL with user info, a query or a fragment (``gw/v1?api_key=``,
    ``sk-...@host``: one without a scheme escapes the plaintext-secret rule's URL parsing)."""
    find = unsafe_in_text if pattern == spec.TEXT_PATTERN else unsafe_in_name
    unsafe = find(value) if isinstance(value, str) else None
    if unsafe is not None:  # invisible: telling the format would not show what is wrong
        return unsafe_message(*unsafe)
    shown = ""
    if isinstance(value, str):
        env = pattern == spec.ENV_PATTERN
        quotable = not in_secret_field(path) and not (
            pattern == spec.HTTP_URL_PATTERN and any(c in value for c in "@?#;")
        )
        if _looks_like_name(value) if env else quotable:
            shown = f"'{shown_value(value)}' "
    # a regex means nothing to most readers: say what a valid value looks like
    help_text = spec.PATTERN_HELP.get(pattern)
    if help_text is not None:
        return shown + help_text
    return f"{shown}does not have the expected format{expecting}"


def _describe(err: ValidationError) -> tuple[str, str]:
    """Code and message for one error. The offending value only where it cannot be a secret
    (``_in_secret_field``), escaped and shortened."""
    from jsonschema.exceptions import best_match

    v, schema = err.validator, err.schema
    expected: Any = err.validator_value
    if _is_secret_ref(schema) and isinstance(err.instance, str):
        return "plaintext-secret", _PLAINTEXT
    instance = err.instance
    if isinstance(instance, str) and _accepts(schema, _YAML11_BOOLEANS.get(instance)):
        return "wrong-type", _yaml11_message(instance)
    not_finite = _not_finite(err)
    if not_finite is not None:
        return not_finite
    if v in ("anyOf", "oneOf") and err.context:
        # An instance of the right type failing a branch's constraint is the real problem;
        # type mismatches against the other branches (often just null) are noise.
        specific = _specific(err.context)
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
        hint = did_you_mean(err.instance, allowed) if isinstance(err.instance, str) else ""
        return "invalid-value", "must be one of: " + ", ".join(allowed) + hint
    if v == "const":
        return "invalid-value", f"must be {json.dumps(expected)}"
    if v == "pattern":
        return "invalid-value", pattern_message(
            expected, err.instance, list(err.absolute_path), _expecting(schema)
        )
    if v == "format":
        value = err.instance
        shown = ""
        if isinstance(value, str) and not _in_secret_field(err):
            shown = f"'{shown_value(value)}' "
        return "invalid-value", f"{shown}is not a valid {expected}" + _expecting(schema)
    if v == "minLength":
        return "invalid-value", "must not be empty" if expected == 1 else (
            f"must be at least {expected} characters"
        )
    if v == "maxLength":
        return "invalid-value", f"must be at most {expected} characters (the registry's limit)"
    if v == "exclusiveMinimum":
        return "invalid-value", f"must be greater than {expected}"
    if v == "minimum":
        return "invalid-value", f"must be at least {expected}"
    if v == "maximum":
        why = " (the registry stores it as a 32-bit integer)" if expected == spec.INT32_MAX else ""
        return "invalid-value", f"must be at most {expected}{why}"
    if v == "not":
        return "invalid-form", "uses a combination of fields that is not allowed"
    return "schema", f"fails the schema rule '{v}'"


# YAML 1.1's other spellings of true and false (PyYAML's, and y/n of the 1.1 spec): strings
# in YAML 1.2, which editors and the JSON Schemas use. The loader keeps them as strings.
_YAML11_BOOLEANS = {
    spelling: word in ("yes", "on", "y")
    for word in ("yes", "no", "on", "off", "y", "n")
    for spelling in (word, word.capitalize(), word.upper())
}


def _accepts(schema: Any, value: bool | None) -> bool:
    """Whether ``schema`` takes the boolean ``value`` (a type or a constant, in any branch)."""
    if value is None or not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "boolean" or (isinstance(kind, list) and "boolean" in kind):
        return True
    if "const" in schema and schema["const"] is value:
        return True
    return any(_accepts(s, value) for s in [*schema.get("anyOf", ()), *schema.get("oneOf", ())])


def _yaml11_message(word: str) -> str:
    meant = "true" if _YAML11_BOOLEANS[word] else "false"
    return (
        f"'{word}' is not a boolean in YAML 1.2, which editors, check-jsonschema and the "
        f"published schemas read; write {meant}"
    )


def _unknown_fields(
    err: ValidationError, missing: Collection[str] = ()
) -> Iterator[tuple[str, str, str | None]]:
    """Each unknown key with its message and the missing required field it is a typo of
    (None if it is none): that field's missing-field error folds into this one."""
    known = list(err.schema.get("properties", {})) if isinstance(err.schema, dict) else []
    instance = err.instance if isinstance(err.instance, dict) else {}
    for key in instance:
        if "\x00" in str(key):
            continue  # reported as a NUL character (content), never printed
        if key not in known:
            # a missing required field is the likeliest meaning, before any other field
            meant = closest(str(key), missing)
            if meant is not None:
                hint = did_you_mean(str(key), [meant]) + " (it is required)"
            else:
                hint = did_you_mean(str(key), known) or f"; allowed: {', '.join(known)}"
            yield (str(key), f"unknown field '{escape_bidi(str(key))}'{hint}", meant)


def _missing_fields(err: ValidationError) -> list[str]:
    """The required fields a ``required`` error finds absent, read from the data."""
    required = err.validator_value if isinstance(err.validator_value, list) else []
    instance = err.instance if isinstance(err.instance, dict) else {}
    return [str(name) for name in required if name not in instance]


# The reference forms, by the $defs name of their schema.
_FORM_KEYS = {"EnvRef": "env", "SopsRef": "sops", "AwsRef": "aws_secretsmanager"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A key is echoed only when it looks like a field name: a secret pasted as a key is not.
_SAFE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,39}")


def _secret_ref_error(err: ValidationError) -> ValidationError | None:
    """The error of the secret-reference ``anyOf`` itself (also when it is wrapped in an
    optional field's ``anyOf [reference, null]``), or None."""
    if not isinstance(err.schema, dict) or err.validator != "anyOf":
        return None
    if err.schema.get("x-secret-reference"):
        return err
    for sub in err.context or ():
        if not sub.relative_path:  # the same value, against one branch
            found = _secret_ref_error(sub)
            if found is not None:
                return found
    return None


def _form_of(err: ValidationError, branch: Any) -> str | None:
    options = err.schema.get("anyOf", []) if isinstance(err.schema, dict) else []
    if not isinstance(branch, int) or not 0 <= branch < len(options):
        return None
    ref = options[branch].get("$ref", "") if isinstance(options[branch], dict) else ""
    return _FORM_KEYS.get(str(ref).rsplit("/", 1)[-1])


# A variable name is not a secret, but a secret pasted where the name belongs is: an invalid
# name is shown only when it reads as a mistyped name (no long run of letters and digits, as
# keys and tokens have).
_NAME_LIKE = re.compile(r"[A-Za-z0-9_$.{}\- ]{1,64}")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9]{16}")


def _looks_like_name(value: str) -> bool:
    return bool(_NAME_LIKE.fullmatch(value)) and not _TOKEN_LIKE.search(value)


def _bad_env_name(value: str) -> str:
    rule = "(letters, digits and _, not starting with a digit)"
    if _looks_like_name(value):
        return f"'{shown_value(value)}' is not a valid environment variable name {rule}"
    return (
        f"is not a valid environment variable name {rule}; the value is not shown, as it may "
        "be the secret itself: env names the variable that holds the secret"
    )


def _secret_ref_diagnostics(doc: Document, err: ValidationError) -> list[Diagnostic]:
    """A secret reference that matches none of its forms, told as what to change. A value in
    it is never shown (it may be the secret); a key only when it looks like a field name."""
    path = list(err.absolute_path)
    where = dotted(path)
    instance = err.instance
    use = f"use exactly one of {REFERENCE_FORMS}"

    def at(code: str, sub: list[Any], message: str, *, key: bool = False) -> Diagnostic:
        line, col = doc.locate([*path, *sub], key=key)
        return Diagnostic(doc.origin([*path, *sub]), line, col, code, message)

    if not isinstance(instance, dict):
        if isinstance(instance, str | int | float) and not isinstance(instance, bool):
            # a scalar may be the secret itself
            return [at("plaintext-secret", [], f"{where}: {_PLAINTEXT}")]
        return [at("wrong-type", [], f"{where}: must be a secret reference; {use}")]
    out: list[Diagnostic] = []
    forms = [k for k in instance if k in _FORM_KEYS.values()]
    for key in instance:
        if key in _FORM_KEYS.values():
            continue
        shown = isinstance(key, str) and _SAFE_KEY.fullmatch(key)
        what = f"unknown key '{key}'" if shown else "a key that is not a field name (not shown)"
        message = f"{where}: {what} in a secret reference; {use}"
        out.append(at("unknown-field", [key], message, key=True))
    if not forms:
        if not instance:
            out.append(at("invalid-form", [], f"{where}: empty secret reference; {use}"))
        return out
    if len(forms) > 1:
        both = " and ".join(f"'{k}'" for k in forms)
        out.append(
            at(
                "invalid-form",
                [forms[1]],
                f"{where}: a secret reference has one source, this one has {both}; {use}",
                key=True,
            )
        )
        return out
    form = forms[0]
    value = instance[form]
    if form == "env":
        if not isinstance(value, str):
            out.append(
                at("wrong-type", ["env"], f"{where}.env: must be a string (a variable name)")
            )
        elif not _ENV_NAME.fullmatch(value) and "\x00" not in value:  # NUL: told apart
            out.append(at("invalid-value", ["env"], f"{where}.env: {_bad_env_name(value)}"))
        return out
    # sops / aws_secretsmanager: the problems inside the chosen form, as for any field
    for sub in err.context or ():
        if _form_of(err, sub.relative_schema_path[0] if sub.relative_schema_path else None) != (
            form
        ):
            continue
        if not sub.relative_path and sub.validator in ("additionalProperties", "required"):
            continue  # the reference's own keys: told above
        out.extend(_diagnose(doc, sub))
    if len(out) == 0:
        out.append(at("invalid-form", [form], f"{where}.{form}: is not valid; {use}"))
    return out


def _missing_diagnostics(
    doc: Document, err: ValidationError, typos: set[tuple[tuple[Any, ...], str]]
) -> list[tuple[str, Diagnostic]]:
    """The fields a ``required`` error finds absent, but for those an unknown key misspells,
    each with its name."""
    path = list(err.absolute_path)
    line, col = doc.locate(path)
    where = f"{dotted(path)}: " if path else ""
    return [
        (
            name,
            Diagnostic(
                doc.origin(path), line, col, "missing-field", f"{where}{name!r} is required"
            ),
        )
        for name in _missing_fields(err)
        if (tuple(path), name) not in typos
    ]


def _diagnose(
    doc: Document, err: ValidationError, missing: Collection[str] = ()
) -> list[Diagnostic]:
    """The diagnostics of one jsonschema error, located in the document. ``missing``: the
    required fields absent beside it (an unknown key close to one is told as its typo)."""
    from jsonschema.exceptions import best_match

    path = list(err.absolute_path)
    if err.validator == "additionalProperties":
        out = []
        for key, message, _ in _unknown_fields(err, missing):
            line, col = doc.locate([*path, key], key=True)
            out.append(Diagnostic(doc.origin([*path, key]), line, col, "unknown-field", message))
        return out
    ref = _secret_ref_error(err)
    if ref is not None and not isinstance(ref.instance, str):
        return _secret_ref_diagnostics(doc, ref)
    code, message = _describe(err)
    if code != "plaintext-secret" and err.validator in ("anyOf", "oneOf") and err.context:
        specific = _specific(err.context)
        path = list(best_match(specific or err.context).absolute_path) or path
    line, col = doc.locate(path)
    where = dotted(path)
    return [
        Diagnostic(doc.origin(path), line, col, code, f"{where}: {message}" if where else message)
    ]


def schema_problems(doc: Document) -> list[tuple[str | None, Diagnostic]]:
    """Every schema problem of one document, located in its file, each with the top-level
    key whose value it is about (a missing field: that field; None: the document as a whole,
    such as two forms of a credential at once)."""
    quick = fast_check()
    if quick is not None and quick(doc.data):
        return []  # valid: jsonschema would report nothing (a property test holds them equal)
    errors = list(document_validator().iter_errors(doc.data))
    # a value that fails its pattern (YYYY-MM-DD) is not also told it is no valid date
    patterned = {
        tuple(e.absolute_path)
        for e in errors
        if e.validator == "pattern" or any(c.validator == "pattern" for c in e.context)
    }
    # required fields missing per object, and those an unknown key there is a typo of
    missing: dict[tuple[Any, ...], list[str]] = {}
    for e in errors:
        if e.validator == "required":
            missing.setdefault(tuple(e.absolute_path), []).extend(_missing_fields(e))
    typos = {
        (tuple(e.absolute_path), meant)
        for e in errors
        if e.validator == "additionalProperties"
        for _, _, meant in _unknown_fields(e, missing.get(tuple(e.absolute_path), ()))
        if meant is not None
    }
    required_told: set[tuple[tuple[Any, ...], tuple[Any, ...]]] = set()
    out: list[tuple[str | None, Diagnostic]] = []
    for err in errors:
        if err.validator == "format" and tuple(err.absolute_path) in patterned:
            continue
        if err.validator == "required":
            # one error per absent field, all alike: tell each field once, from the data,
            # except one an unknown key misspells (told there)
            told = (tuple(err.absolute_path), tuple(err.relative_schema_path))
            if told in required_told:
                continue
            required_told.add(told)
            # a field missing from the document is about that top-level key (the loader
            # checks the rest of the document without it)
            out.extend(
                (name if not err.absolute_path else str(err.absolute_path[0]), d)
                for name, d in _missing_diagnostics(doc, err, typos)
            )
            continue
        found = _diagnose(doc, err, missing.get(tuple(err.absolute_path), ()))
        if isinstance(err.instance, str) and "\x00" in err.instance:
            # the NUL is reported on its own (load); the format it breaks is no second problem
            found = [d for d in found if d.code == "plaintext-secret"]
        path = list(err.absolute_path)
        if path:
            out.extend((str(path[0]), d) for d in found)
        elif err.validator == "additionalProperties":
            keys = [key for key, _, _ in _unknown_fields(err)]
            out.extend(zip(keys, found, strict=True))
        else:
            out.extend((None, d) for d in found)
    return out


def schema_diagnostics(doc: Document) -> list[Diagnostic]:
    """Every schema problem of one document, located in its file."""
    return [d for _, d in schema_problems(doc)]


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
