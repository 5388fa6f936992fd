"""``reconciler new model`` and ``reconciler new credential``: write one new catalog file.

Values come from the flags; on a terminal, the CLI passes ``ask`` and each missing value is
asked for, the questions adapting to the provider as the product's Add Model dialog does.
Without ``ask``, missing required values are an error naming their flags, and a question's
default is taken. ``ask`` raises :class:`Cancelled` when the user ends a question with Ctrl-C or
Ctrl-D; nothing is written then. The file starts with
the schema line, is validated with the whole catalog before it is written, and is never
written over an existing one. Secrets are asked for as references only, never as values.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.catalog import spec
from reconciler.catalog.schemaline import schema_line
from reconciler.catalog.slug import derive_slug
from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import Severity
from reconciler.errors import CatalogError, ReconcilerError
from reconciler.providers.table import PLATFORM_PROVIDER, fallback_env
from reconciler.render.diagnostics import render

FROM_LITELLM = "from litellm's model data"
# An optional value given (or answered) as this means "none", also where the question has a
# default that a blank answer would take.
NONE = "-"


@dataclass(frozen=True)
class Question:
    """One value to ask for: ``flag`` names it when it cannot be asked. An optional question
    (``required`` False) may be left without a value; ``blank`` says what that means."""

    key: str
    flag: str
    text: str
    choices: tuple[str, ...] = ()
    default: str | None = None
    required: bool = True
    blank: str = "none"


Ask = Callable[[Question], str]


class Cancelled(Exception):
    """The user ended a question with Ctrl-C (``interrupted``) or Ctrl-D: nothing is written."""

    def __init__(self, *, interrupted: bool) -> None:
        super().__init__("cancelled")
        self.interrupted = interrupted


@dataclass(frozen=True)
class Written:
    """The file written; for a model, the fields filled from litellm's model data and the
    model data's key they came from. ``fallback_env``: for a custom model written without a
    credential, the variables its provider's key is read from at runtime (empty: none), else
    None."""

    path: Path
    filled: tuple[str, ...] = ()
    key: str | None = None
    fallback_env: tuple[str, ...] | None = None


class _Answers:
    """The given values, completed by asking (on a terminal) or listed as missing."""

    def __init__(self, given: Mapping[str, Any], ask: Ask | None) -> None:
        self.values = {k: v for k, v in given.items() if v not in (None, "")}
        self.ask = ask
        self.missing: list[str] = []

    def get(self, question: Question) -> str | None:
        if question.key in self.values:
            given = str(self.values[question.key])
            if given == NONE and not question.required:
                del self.values[question.key]
                return None
            return given
        if self.ask is not None:
            answer = self.ask(question).strip()
            if answer == NONE and not question.required:
                answer = ""
        else:
            answer = question.default or ""
            if not answer and question.required:
                self.missing.append(question.flag)
        if answer:
            self.values[question.key] = answer
        return answer or None

    def check(self, command: str) -> None:
        if self.missing:
            raise ReconcilerError(
                f"{command}: missing {', '.join(self.missing)} (not a terminal, so nothing "
                "can be asked)",
                hint="pass those flags, or run it on a terminal to be asked",
            )


# --- model ------------------------------------------------------------------------------


def _litellm_values(
    provider: str, model_id: str, deployment: str
) -> tuple[dict[str, Any], str | None]:
    """What litellm's model data says about the model, in catalog fields, and its key."""
    from reconciler.lint.knowledge import lookup, model_cost
    from reconciler.lint.rules import CAPABILITY_FLAGS, COST_FIELDS

    probe = spec.ModelSpec.model_validate(
        {
            "kind": "Model",
            "display_name": model_id,
            "deployment": deployment,
            "provider": provider,
            "model_id": model_id,
            "context_window": 1,
        }
    )
    info, _tried = lookup(probe, model_cost())
    if info is None:
        return {}, None
    out: dict[str, Any] = {}
    context = info.get_int("max_input_tokens") or info.get_int("max_tokens")
    if context is not None and context <= spec.INT32_MAX:
        out["context_window"] = context
    output = info.get_int("max_output_tokens")
    if output is not None and output <= min(context or spec.INT32_MAX, spec.INT32_MAX):
        out["max_output_tokens"] = output
    capabilities: dict[str, Any] = {}
    for name, flag in CAPABILITY_FLAGS:
        known = info.get_bool(flag)
        if known is None:
            continue
        if name == "reasoning":
            # Anthropic, Bedrock and Gemini take a token budget; OpenAI-style APIs an effort
            effort = provider not in ("anthropic", "bedrock", "google")
            capabilities[name] = (
                {"parameter": "effort" if effort else "max_tokens"} if known else False
            )
        else:
            capabilities[name] = known
    if capabilities:
        out["capabilities"] = capabilities
    if not info.free_variant:
        cost = {
            name: price
            for name, field in COST_FIELDS
            if (price := info.get_price(field)) is not None
        }
        if cost:
            out["cost"] = cost
    return out, info.key


def _line(key: str, value: Any, comment: str | None = None, indent: str = "") -> str:
    """``key: value`` as YAML writes it (quoted where needed), with an aligned comment."""
    body = yaml.safe_dump({key: value}, default_flow_style=True, width=1000).strip()
    text = indent + body.removeprefix("{").removesuffix("}")
    return f"{text:<38} # {comment}\n" if comment else text + "\n"


def _model_text(values: Mapping[str, Any], filled: Mapping[str, Any], key: str | None) -> str:
    lines = ["kind: Model\n"]
    lines.append(_line("display_name", values["display_name"]))
    lines.append(_line("slug", values["slug"], "pinned: editing display_name keeps it"))
    for name in ("deployment", "provider", "model_id", "credential", "category"):
        if values.get(name) is not None:
            lines.append(_line(name, values[name]))
    source = f"{FROM_LITELLM} ({key})" if key else None
    for name in ("context_window", "max_output_tokens"):
        if name in values:
            lines.append(_line(name, values[name], source if name in filled else None))
    for group in ("capabilities", "cost"):
        if group in filled:
            lines.append(f"{group + ':':<38} # {source}\n")
            for sub, value in filled[group].items():
                lines.append(_line(sub, value, indent="  "))
    return "".join(lines)


def new_model(catalog_dir: str, given: Mapping[str, Any], ask: Ask | None = None) -> Written:
    root = Path(catalog_dir)
    answers = _Answers(given, ask)
    answers.get(
        Question("deployment", "--deployment", "Deployment", ("custom", "platform"), "custom")
    )
    deployment = answers.values.get("deployment", "custom")
    if deployment == "platform":
        _no_own_credential(answers)  # before any other question is asked
    if deployment == "custom":
        question = Question("provider", "--provider", "Provider", spec.CREDENTIAL_PROVIDERS)
    else:  # any vendor OpenRouter serves: suggested, not limited
        vendors = ", ".join(spec.UPSTREAM_VENDORS[:6])
        question = Question("provider", "--provider", f"Upstream vendor (e.g. {vendors}, ...)")
    provider = answers.get(question)
    example = (
        "anthropic/claude-sonnet-4" if deployment == "platform" else "claude-sonnet-4-20250514"
    )
    model_id = answers.get(Question("model_id", "--model-id", f"Model ID (e.g. {example})"))
    answers.check("new model")
    assert provider is not None
    assert model_id is not None
    filled, key = _litellm_values(provider, model_id, deployment)
    default_name = model_id.rsplit("/", 1)[-1]
    answers.get(Question("display_name", "--display-name", "Display name", default=default_name))
    variables = fallback_env(provider) if deployment == "custom" else ()
    if deployment == "custom":
        names = _credentials(root, provider)
        if names or "credential" in answers.values:  # with none to choose, nothing to ask
            answers.get(
                Question(
                    "credential",
                    "--credential",
                    "Credential",
                    names,
                    default=names[0] if len(names) == 1 else None,
                    required=False,
                    blank=_no_credential(provider, variables),
                )
            )
    answers.get(
        Question(
            "category", "--category", "Category", ("premium", "standard", "budget"), required=False
        )
    )
    if "context_window" not in filled:
        answers.get(Question("context_window", "--context-window", "Context window (tokens)"))
    answers.check("new model")
    values: dict[str, Any] = {**filled, **answers.values}
    values["slug"] = derive_slug(str(values["display_name"]))
    for name in ("context_window", "max_output_tokens"):
        if name in values:
            values[name] = _int(values[name], name)
    filled = {k: v for k, v in filled.items() if values.get(k) == v}
    path = root / "models" / deployment / f"{values['slug'] or 'model'}.yaml"
    text = schema_line(path, root, "Model") + _model_text(values, filled, key)
    _write_new(root, path, text)
    without = deployment == "custom" and values.get("credential") is None
    return Written(path, tuple(filled), key, variables if without else None)


def _no_own_credential(answers: _Answers) -> None:
    """A platform model has no credential of its own: ``--credential -`` (none) is dropped,
    a name refused before anything is asked or written."""
    given = answers.values.pop("credential", None)
    if given is not None and str(given) != NONE:
        raise ReconcilerError(
            f"--credential {given}: platform models are served through the settings' "
            f"platform_credential (the {PLATFORM_PROVIDER} credential every platform model "
            "uses), not a credential of their own; nothing was written",
            hint="leave --credential out (set platform_credential in the catalog's Settings), "
            "or pass --deployment custom to call the provider with this credential",
        )


def _no_credential(provider: str, variables: tuple[str, ...]) -> str:
    if not variables:
        return f"none ({provider} has no environment variable to fall back on)"
    return f"none, the key comes from {' or '.join(variables)} at runtime"


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ReconcilerError(f"--{name.replace('_', '-')} must be a whole number") from None


def _credentials(root: Path, provider: str) -> tuple[str, ...]:
    try:
        catalog = validate_catalog(root)
    except ReconcilerError:
        return ()
    return tuple(sorted(c.spec.name for c in catalog.credentials if c.spec.provider == provider))


# --- credential -------------------------------------------------------------------------

SECRET_FORMS = ("env", "sops", "aws")


def _secret_fields(provider: str, key_form: str | None) -> tuple[str, ...]:
    if provider == "bedrock" and key_form == "access-keys":
        return ("access_key_id", "secret_access_key")
    return ("api_key",)


def _reference(
    answers: _Answers, name: str, fields: tuple[str, ...], optional: bool
) -> dict[str, Any]:
    """The secret references, asked for as references (a variable, a SOPS key, an AWS
    secret id), never as values."""
    given = answers.values
    form = (
        "env"
        if "env" in given
        else "sops"
        if "sops_file" in given
        else "aws"
        if "aws_secret_id" in given
        else None
    )
    if form is None and answers.ask is None:
        if not optional:
            answers.missing.append("--env (or --sops-file and --sops-key, or --aws-secret-id)")
        return {}
    if form is None:
        form = answers.get(
            Question(
                "form",
                "--env",
                "Where the secret is",
                SECRET_FORMS,
                None if optional else "env",
                required=not optional,
            )
        )
        if form is None:
            return {}
    several = len(fields) > 1
    prefix = derive_slug(name).replace("-", "_").upper()
    if form == "env":
        default = prefix if several else f"{prefix}_API_KEY"
        text = "Environment variable prefix" if several else "Environment variable holding the key"
        var = answers.get(Question("env", "--env", text, default=default))
        return {f: {"env": f"{var}_{f.upper()}" if several else var} for f in fields}
    if form == "sops":
        file = answers.get(
            Question("sops_file", "--sops-file", "SOPS file (relative to the catalog)")
        )
        key = answers.get(Question("sops_key", "--sops-key", "Key in the SOPS file (dotted path)"))
        return {
            f: {"sops": {"file": file, "key": f"{key}.{f}" if several else key}} for f in fields
        }
    secret_id = answers.get(
        Question("aws_secret_id", "--aws-secret-id", "AWS Secrets Manager secret id")
    )
    json_key = answers.values.get("aws_json_key")
    refs: dict[str, Any] = {}
    for f in fields:
        aws: dict[str, Any] = {"secret_id": secret_id}
        if several or json_key:
            aws["json_key"] = f if several else json_key
        refs[f] = {"aws_secretsmanager": aws}
    return refs


# the flags of each secret form, and of each provider's own settings: a flag given for a
# form or a provider that is not the one written would be dropped without a word
_FORM_FLAGS = {
    "env": ("env",),
    "sops": ("sops_file", "sops_key"),
    "aws": ("aws_secret_id", "aws_json_key"),
}
_PROVIDER_FLAGS = {
    "region": ("bedrock",),
    "key_form": ("bedrock",),
    "endpoint_url": ("bedrock", "huggingface"),
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _refuse_unused_flags(provider: str, given: Mapping[str, Any]) -> None:
    forms = [form for form, names in _FORM_FLAGS.items() if any(n in given for n in names)]
    if len(forms) > 1:
        flags = [_flag(n) for form in forms for n in _FORM_FLAGS[form] if n in given]
        raise ReconcilerError(
            f"new credential: {', '.join(flags)} name more than one place for the secret",
            hint="pass one of --env, --sops-file with --sops-key, or --aws-secret-id (with "
            "--aws-json-key)",
        )
    unused = [
        _flag(name)
        for name, providers in _PROVIDER_FLAGS.items()
        if name in given and provider not in providers
    ]
    if "base_url" in given and provider in ("bedrock", "huggingface"):
        unused.append("--base-url")
    if "aws_json_key" in given and "aws_secret_id" not in given:
        unused.append("--aws-json-key (without --aws-secret-id)")
    if unused:
        one = len(unused) == 1
        raise ReconcilerError(
            f"new credential: {', '.join(unused)} {'does' if one else 'do'} not apply to a "
            f"credential of provider {provider}",
            hint=f"leave {'it' if one else 'them'} out, or check --provider",
        )


def new_credential(catalog_dir: str, given: Mapping[str, Any], ask: Ask | None = None) -> Written:
    root = Path(catalog_dir)
    answers = _Answers(given, ask)
    provider = answers.get(
        Question("provider", "--provider", "Provider", spec.CREDENTIAL_PROVIDERS)
    )
    answers.check("new credential")
    assert provider is not None
    _refuse_unused_flags(provider, answers.values)
    name = answers.get(
        Question("name", "--name", "Name", default=f"prod-{provider.replace('_', '-')}")
    )
    answers.get(Question("display_name", "--display-name", "Display name", required=False))
    doc: dict[str, Any] = {"kind": "ProviderCredential", "name": name}
    if "display_name" in answers.values:
        doc["display_name"] = answers.values["display_name"]
    doc["provider"] = provider
    key_form = None
    if provider == "bedrock":
        doc["region"] = answers.get(
            Question("region", "--region", "AWS region", default="us-east-1")
        )
        key_form = answers.get(
            Question("key_form", "--key-form", "Key form", ("api-key", "access-keys"), "api-key")
        )
        endpoint = answers.get(
            Question(
                "endpoint_url",
                "--endpoint-url",
                "VPC endpoint URL",
                required=False,
                blank="the public one",
            )
        )
        if endpoint:
            doc["endpoint_url"] = endpoint
    elif provider == "huggingface":
        doc["endpoint_url"] = answers.get(
            Question("endpoint_url", "--endpoint-url", "Inference Endpoint URL (https://...)")
        )
    elif provider == "openai_compatible":
        doc["base_url"] = answers.get(
            Question("base_url", "--base-url", "Base URL of the API (https://.../v1)")
        )
    else:
        base = answers.get(
            Question(
                "base_url",
                "--base-url",
                "Gateway or proxy URL",
                required=False,
                blank="the public API",
            )
        )
        if base:
            doc["base_url"] = base
    doc.update(
        _reference(
            answers, name or "", _secret_fields(provider, key_form), provider == "openai_compatible"
        )
    )
    answers.check("new credential")
    path = root / "credentials" / f"{derive_slug(str(name)) or 'credential'}.yaml"
    text = schema_line(path, root, "ProviderCredential") + yaml.safe_dump(
        doc, sort_keys=False, allow_unicode=True, width=100
    )
    _write_new(root, path, text)
    return Written(path)


# --- writing ----------------------------------------------------------------------------


def _write_new(root: Path, path: Path, text: str) -> None:
    """Validate the catalog with the new file in a copy, then create the file (never over
    an existing one)."""
    if path.exists():
        raise CatalogError(
            f"{path} already exists; new never overwrites a file",
            hint="edit that file, or choose another display name or name",
        )
    with tempfile.TemporaryDirectory(prefix="reconciler-new-") as tmp:
        copy = Path(tmp) / "catalog"
        if root.is_dir():
            shutil.copytree(root, copy, symlinks=True)
        target = copy / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        catalog = validate_catalog(copy)
        errors = [d for d in catalog.diagnostics if d.severity is Severity.ERROR]
        if errors:
            shown = render(errors, "text").replace(str(copy), str(root))
            raise CatalogError(
                "the new file would make the catalog invalid; nothing was written:\n"
                + shown.rstrip(),
                hint="fix the values (or the catalog) and run it again",
            )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": fails if it appeared meanwhile
            handle.write(text)
    except FileExistsError:
        raise CatalogError(f"{path} already exists; new never overwrites a file") from None
    except OSError as err:
        raise CatalogError(f"cannot write {path}: {err.strerror or err}") from None
