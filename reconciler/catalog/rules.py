"""Checks beyond the schema: identities, references between objects, secret file paths."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from reconciler.catalog import spec
from reconciler.catalog.load import Catalog, CredentialSpec, Entry, catalog_folder, model_slug
from reconciler.catalog.yamlio import Document, load_text, read_text
from reconciler.diagnostics import Diagnostic
from reconciler.words import closest, did_you_mean, shown_value

T = TypeVar("T")


def _at(doc: Document, where: Sequence[str | int], code: str, message: str) -> Diagnostic:
    line, col = doc.locate(where)
    return Diagnostic(doc.origin(where), line, col, code, message)


def _where(doc: Document) -> str:
    line, _ = doc.locate([])
    return f"{doc.path}:{line}"


def _in_order(complete: list[Entry[T]], repaired: list[Entry[T]]) -> list[Entry[T]]:
    """The complete entries of one kind and the repaired ones, in file order."""
    if not repaired:
        return complete
    return sorted([*complete, *repaired], key=lambda e: (e.doc.path, e.doc.index))


def _models(catalog: Catalog) -> list[Entry[spec.ModelSpec]]:
    repaired = [e for e in catalog.repaired if isinstance(e.spec, spec.ModelSpec)]
    return _in_order(catalog.models, repaired)


def _credentials(catalog: Catalog) -> list[Entry[CredentialSpec]]:
    other = spec.ModelSpec | spec.SettingsSpec
    repaired = [e for e in catalog.repaired if not isinstance(e.spec, other)]
    return _in_order(catalog.credentials, repaired)


def _settings(catalog: Catalog) -> list[Entry[spec.SettingsSpec]]:
    repaired = [e for e in catalog.repaired if isinstance(e.spec, spec.SettingsSpec)]
    return _in_order(catalog.settings, repaired)


def _duplicates(catalog: Catalog) -> Iterable[Diagnostic]:
    seen: dict[str, Entry[spec.ModelSpec]] = {}
    for entry in _models(catalog):
        slug = model_slug(entry.spec)
        field = "slug" if entry.spec.slug else "display_name"
        if not slug:
            yield _at(
                entry.doc,
                ["display_name"],
                "slug-underivable",
                "no slug can be derived from this display_name; set 'slug'",
            )
            continue
        if len(slug) > spec.TEXT_MAX:
            # an explicit slug is capped by the schema; a derived one can still grow (NFKD)
            yield _at(
                entry.doc,
                ["display_name"],
                "slug-too-long",
                f"the slug derived from this display_name has {len(slug)} characters, over the "
                f"registry's {spec.TEXT_MAX}; set a shorter 'slug'",
            )
        first = seen.get(slug)
        if first is not None:
            how = "" if entry.spec.slug else " (derived from display_name)"
            yield _at(
                entry.doc,
                [field],
                "duplicate-slug",
                f"model slug '{slug}'{how} is already used at {_where(first.doc)}; "
                "slugs identify models and must be unique",
            )
        else:
            seen[slug] = entry
    claimed: dict[str, Entry[Any]] = {}
    for entry in _models(catalog):
        for i, old in enumerate(entry.spec.previous_slugs):
            if old == model_slug(entry.spec):
                yield _at(
                    entry.doc,
                    ["previous_slugs", i],
                    "slug-conflict",
                    f"previous slug '{old}' is this model's own slug: a model cannot list its "
                    "own slug in previous_slugs; remove it",
                )
            elif old in seen:
                yield _at(
                    entry.doc,
                    ["previous_slugs", i],
                    "slug-conflict",
                    f"previous slug '{old}' is the current slug of the model at "
                    f"{_where(seen[old].doc)}",
                )
            elif old in claimed and claimed[old] is not entry:
                yield _at(
                    entry.doc,
                    ["previous_slugs", i],
                    "slug-conflict",
                    f"previous slug '{old}' is also claimed by the model at "
                    f"{_where(claimed[old].doc)}; only one model can be renamed from it",
                )
            else:
                claimed.setdefault(old, entry)
    names: dict[str, Entry[Any]] = {}
    for cred in _credentials(catalog):
        first_cred = names.get(cred.spec.name)
        if first_cred is not None:
            yield _at(
                cred.doc,
                ["name"],
                "duplicate-credential",
                f"credential name '{cred.spec.name}' is already used at {_where(first_cred.doc)}",
            )
        else:
            names[cred.spec.name] = cred
    settings = _settings(catalog)
    for extra in settings[1:]:
        yield _at(
            extra.doc,
            ["kind"],
            "duplicate-settings",
            f"only one Settings document is allowed; the first is at {_where(settings[0].doc)}",
        )


def _model_rules(catalog: Catalog) -> Iterable[Diagnostic]:
    creds = {c.spec.name: c.spec for c in _credentials(catalog)}
    for entry in _models(catalog):
        m, doc, dropped = entry.spec, entry.doc, entry.dropped
        if "deployment" in dropped:
            # what the model is (custom or platform) is unknown; a credential it names that
            # is nowhere in the catalog is wrong either way
            name = m.credential or ""
            if (
                name
                and name not in creds
                and not _may_be_broken(catalog, "ProviderCredential", name)
            ):
                yield _unknown_credential(catalog, doc, name, creds)
        elif m.deployment == "custom":
            if m.provider not in spec.CREDENTIAL_PROVIDERS:
                yield _at(
                    doc,
                    ["provider"],
                    "unknown-provider",
                    f"custom models use one of: {', '.join(spec.CREDENTIAL_PROVIDERS)}",
                )
            if m.credential is not None:
                cred = creds.get(m.credential)
                if cred is None:
                    if not _may_be_broken(catalog, "ProviderCredential", m.credential):
                        yield _unknown_credential(catalog, doc, m.credential, creds)
                elif cred.provider != m.provider:
                    yield _at(
                        doc,
                        ["credential"],
                        "credential-provider-mismatch",
                        f"credential '{m.credential}' is for provider '{cred.provider}', "
                        f"but the model's provider is '{m.provider}'",
                    )
        else:
            if m.credential is not None:
                yield _at(
                    doc,
                    ["credential"],
                    "platform-model-credential",
                    "platform models are served through the platform credential "
                    "(Settings.platform_credential); remove 'credential' or use "
                    "deployment: custom",
                )
            prefix, slash, rest = m.model_id.partition("/")
            if "model_id" in dropped:
                pass  # invalid or missing: told as such, not also as not 'vendor/model'
            elif not slash or not rest:
                yield _at(
                    doc,
                    ["model_id"],
                    "platform-model-id",
                    "platform model IDs are OpenRouter-style 'vendor/model'",
                )
            elif prefix != m.provider:
                yield _at(
                    doc,
                    ["provider"],
                    "provider-prefix-mismatch",
                    f"provider must equal the model_id's vendor prefix '{prefix}'",
                )
        if (
            m.max_output_tokens is not None
            and "context_window" not in dropped
            and m.max_output_tokens > m.context_window
        ):
            # the reply shares the context window with the prompt, so it cannot be longer
            yield _at(
                doc,
                ["max_output_tokens"],
                "max-output-exceeds-context",
                f"max_output_tokens ({m.max_output_tokens}) is greater than context_window "
                f"({m.context_window}); a reply cannot be longer than the context window: "
                "lower max_output_tokens or correct context_window",
            )
        reasoning = m.capabilities.reasoning
        if isinstance(reasoning, spec.Reasoning):
            path = ["capabilities", "reasoning"]
            if reasoning.enabled and reasoning.parameter is None:
                yield _at(
                    doc,
                    path,
                    "reasoning-parameter-missing",
                    "reasoning is on: set 'parameter' to effort or max_tokens",
                )
            if not reasoning.enabled and reasoning.parameter is not None:
                yield _at(
                    doc,
                    [*path, "parameter"],
                    "reasoning-parameter-when-off",
                    "a reasoning parameter is given but reasoning is off; remove "
                    "'parameter' or set enabled: true",
                )


def _unknown_credential(
    catalog: Catalog, doc: Document, name: str, creds: dict[str, Any]
) -> Diagnostic:
    return _at(
        doc,
        ["credential"],
        "unknown-credential",
        f"no ProviderCredential named '{name}' in the catalog"
        + _suggest(catalog, "ProviderCredential", name, creds),
    )


def _suggest(catalog: Catalog, kind: str, name: str, known: Collection[str]) -> str:
    """``did_you_mean`` over the valid objects of ``kind`` and the documents of that kind that
    failed validation (``prod_openai`` for ``name: Prod_OpenAI``), saying where such a one is:
    its own error is reported there, and fixing it may be all that is needed."""
    broken = {
        n: d for (k, n), d in catalog.broken_names.items() if k == kind and n and n not in known
    }
    best = closest(name, [*known, *broken])
    if best is None:
        return ""
    if best not in broken:
        return f"; did you mean '{best}'?"
    return (
        f"; did you mean '{shown_value(best)}'? (its document, at {_where(broken[best])}, has "
        "errors of its own)"
    )


def _may_be_broken(catalog: Catalog, kind: str, name: str) -> bool:
    """Whether the ``kind`` named ``name`` may be defined by a document that failed validation,
    or by a file that could not be read: then a reference to it is not reported as unknown
    (the document's own error is the one to fix). Only that kind: a broken model does not
    hide an unknown credential of the same name."""
    return catalog.incomplete or (kind, name) in catalog.broken_objects


def _broken(catalog: Catalog, kind: str) -> bool:
    """Whether documents of ``kind`` may be there but unreadable (then reported where they are)."""
    return catalog.incomplete or kind in catalog.broken_kinds


def _settings_rules(catalog: Catalog) -> Iterable[Diagnostic]:
    all_models = _models(catalog)
    models = {model_slug(m.spec): m.spec for m in all_models}
    creds = {c.spec.name: c.spec for c in _credentials(catalog)}
    settings = _settings(catalog)
    if not settings:
        # a Settings document that is there but broken is reported where it is
        if models and not catalog.incomplete and "Settings" not in catalog.broken_kinds:
            # about the catalog as a whole: no file of it is the place to fix (nor to annotate)
            yield Diagnostic(
                catalog_folder(catalog.root),
                0,
                0,
                "default-model-missing",
                "the catalog has models but no Settings document naming "
                "default_model; add one (kind: Settings)",
            )
        return
    s, doc = settings[0].spec, settings[0].doc
    if s.default_model is None:
        if models and "default_model" not in settings[0].dropped:
            yield _at(
                doc,
                [],
                "default-model-missing",
                "set default_model to the slug of an enabled model",
            )
    elif not all_models and not _broken(catalog, "Model"):
        # nothing to name: say what is empty, not that this one name is unknown
        yield _at(
            doc,
            ["default_model"],
            "no-models",
            f"the catalog has no models, so default_model '{s.default_model}' names none; add "
            f"a Model document (kind: Model) with slug '{s.default_model}', for example with "
            "'reconciler new model', or check the --catalog path",
        )
    elif s.default_model not in models:
        # a model whose own document is broken is reported there, not again here
        if not _may_be_broken(catalog, "Model", s.default_model):
            yield _at(
                doc,
                ["default_model"],
                "default-model-unknown",
                f"no model with slug '{s.default_model}' in the catalog"
                + _suggest(catalog, "Model", s.default_model, models),
            )
    elif not models[s.default_model].enabled:
        yield _at(
            doc,
            ["default_model"],
            "default-model-disabled",
            f"default model '{s.default_model}' is disabled (enabled: false)",
        )
    if s.platform_credential is not None:
        cred = creds.get(s.platform_credential)
        if not creds and not _broken(catalog, "ProviderCredential"):
            yield _at(
                doc,
                ["platform_credential"],
                "no-credentials",
                "the catalog has no credentials, so platform_credential "
                f"'{s.platform_credential}' names none; add a ProviderCredential document "
                f"named '{s.platform_credential}' with provider openrouter, for example with "
                f"'reconciler new credential --provider openrouter --name "
                f"{s.platform_credential}'",
            )
        elif cred is None:
            if not _may_be_broken(catalog, "ProviderCredential", s.platform_credential):
                yield _at(
                    doc,
                    ["platform_credential"],
                    "unknown-credential",
                    f"no ProviderCredential named '{s.platform_credential}' in the catalog"
                    + _suggest(catalog, "ProviderCredential", s.platform_credential, creds),
                )
        elif cred.provider != "openrouter":
            yield _at(
                doc,
                ["platform_credential"],
                "credential-provider-mismatch",
                f"the platform credential must be an openrouter credential, not '{cred.provider}'",
            )


def _inside(root: Path, target: Path) -> bool:
    try:
        target.relative_to(root)
    except ValueError:
        return False
    return True


def check_sops_path(root: Path, file: str) -> tuple[str, str] | None:
    """Why a SOPS file reference is unusable, as (code, message), or None when it is fine."""
    if os.path.isabs(file) or file.startswith("~"):
        return "secret-path-escapes", "SOPS file paths are relative to the catalog root"
    real_root = root.resolve()
    target = (root / file).resolve()
    if not _inside(real_root, target):
        return "secret-path-escapes", (
            "SOPS file path leaves the catalog root (through '..' or a symlink); keep "
            "secret files inside the catalog"
        )
    if not target.is_file():
        return "secret-file-missing", f"SOPS file '{file}' does not exist in the catalog"
    return None


_INI_SOPS = re.compile(r"^\[sops\][ \t]*$", re.MULTILINE)
_INI_MAC = re.compile(r"^mac[ \t]*=", re.MULTILINE)


def is_sops_encrypted(path: Path) -> bool:
    """Whether a file carries sops metadata: a top-level 'sops' mapping (YAML, JSON, and sops's
    binary format, which is JSON), sops_mac/sops_version keys (dotenv) or a [sops] section
    with a mac (INI)."""
    if path.suffix in (".yaml", ".yml", ".json"):
        text, problem = read_text(path, path.as_posix())
        return text is not None and problem is None and load_text(text, "").is_sops
    try:
        head = path.read_text("utf-8", errors="replace")
    except OSError:
        return False
    if "sops_mac" in head and "sops_version" in head:
        return True
    if _INI_SOPS.search(head) and _INI_MAC.search(head):
        return True
    return head.lstrip().startswith("{") and load_text(head, "").is_sops


def _sops_key_problem(path: Path, file: str, key: str) -> tuple[str, str] | None:
    """A key missing from the file, naming a mapping or list rather than one value, or naming
    a number or boolean rather than a string, as (code, message). sops leaves the key tree and
    each value's type in plain text, so all are caught here, offline, rather than by the apply
    on main."""
    from reconciler.catalog.sopsfile import lookup_key, parse_encrypted

    data, problem = parse_encrypted(path, file)
    if problem is not None or not isinstance(data, dict):
        return None  # a format we cannot read without sops: apply reports it
    tree = {k: v for k, v in data.items() if k != "sops"}
    found, value = lookup_key(tree, key)
    if found and isinstance(value, dict | list):
        return "sops-key-not-a-value", _not_a_value(file, key, value)
    if found:
        kind = _scalar_kind(value)
        if kind is None:
            return None
        return "sops-key-not-a-string", (
            f"key '{key}' names {kind} in {file}, not a string; a secret reference must name "
            "a string value: quote it in the file (edit it with sops)"
        )
    if hint := did_you_mean(key, _leaf_paths(tree)):
        return "sops-key-missing", f"key '{key}' is not in {file}{hint}"
    keys = sorted(tree)
    shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
    return "sops-key-missing", (
        f"key '{key}' is not in {file} (top-level keys there: {shown or 'none'}); nested keys "
        "take a dotted path such as 'anthropic.api_key'"
    )


# sops encrypts a number or boolean as ENC[...,type:int] (float, bool) so that decrypting
# gives back the same YAML type; the type is in plain text, so it is known without the key.
_ENC_TYPE = re.compile(r"ENC\[.*,type:(int|float|bool)\]", re.DOTALL)


def _scalar_kind(value: Any) -> str | None:
    """'a number' or 'a boolean' for a value that decrypts to one (or was left unencrypted as
    one), None for a string or anything else the resolver's own checks are for."""
    if isinstance(value, str):
        typed = _ENC_TYPE.fullmatch(value)
        if typed is None:
            return None
        return "a boolean" if typed.group(1) == "bool" else "a number"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return None


def _not_a_value(file: str, key: str, value: dict[Any, Any] | list[Any]) -> str:
    what = "mapping" if isinstance(value, dict) else "list"
    head = f"key '{key}' names a {what} in {file}; a secret reference must name a single value"
    below = list(_leaf_paths(value, key + "."))
    if not below:
        return f"{head}; this {what} holds none"
    if len(below) == 1:
        return f"{head}; did you mean '{below[0]}'?"
    shown = ", ".join(below[:8]) + (", ..." if len(below) > 8 else "")
    return f"{head}; name one of the values below it: {shown}"


def _leaf_paths(node: Any, prefix: str = "") -> Iterable[str]:
    """The dotted path of every value below ``node`` (list items by index)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for name, value in items:
        path = f"{prefix}{name}"
        if isinstance(value, dict | list):  # an empty one holds no value to name
            yield from _leaf_paths(value, path + ".")
        else:
            yield path


def _secret_rules(catalog: Catalog) -> Iterable[Diagnostic]:
    sops_files = set(catalog.sops_files)
    for entry in _credentials(catalog):
        for field in spec.SECRET_FIELDS:
            ref = None if field in entry.dropped else getattr(entry.spec, field, None)
            if not isinstance(ref, spec.SopsRef):
                continue
            where = [field, "sops", "file"]
            problem = check_sops_path(catalog.root, ref.sops.file)
            if problem is not None:
                yield _at(entry.doc, where, *problem)
                continue
            rel = (catalog.root / ref.sops.file).resolve().relative_to(catalog.root.resolve())
            if rel.as_posix() not in sops_files and not is_sops_encrypted(catalog.root / rel):
                yield _at(
                    entry.doc,
                    where,
                    "secret-file-not-encrypted",
                    f"'{ref.sops.file}' has no sops metadata: it is not encrypted. "
                    "Encrypt it with 'sops -e -i FILE' before committing it",
                )
                continue
            key_problem = _sops_key_problem(catalog.root / rel, ref.sops.file, ref.sops.key)
            if key_problem is not None:
                yield _at(entry.doc, [field, "sops", "key"], *key_problem)


def check(catalog: Catalog) -> list[Diagnostic]:
    """All semantic diagnostics of a schema-checked catalog."""
    return [
        *_duplicates(catalog),
        *_model_rules(catalog),
        *_settings_rules(catalog),
        *_secret_rules(catalog),
    ]
