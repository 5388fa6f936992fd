"""Lint rules: advice from litellm's model data, never schema errors.

Every rule has its own code; diagnostics point at the offending YAML value. The model data is
passed in (``litellm.model_cost``), so this module does not import litellm.

Codes:
  capability-mismatch     a capability flag contradicts litellm's supports_* data
  context-window-too-large  context_window above litellm's max_input_tokens
  max-output-too-large    max_output_tokens above litellm's max_output_tokens
  tool-output-too-small   tool_use with max_output_tokens below 16000
  reasoning-output-low    a reasoning model with max_output_tokens under 25% of the ceiling
  cost-missing            a cost field is unset; litellm has a price (fixable)
  cost-mismatch           a cost field differs from litellm's price (fixable)
  duplicate-secret-source two credentials read the same secret
  unknown-model           litellm has no data for the model (info)

Findings can be silenced with ``# lint: ignore[code, ...]`` comments (``reconciler.lint.suppress``).
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from reconciler.catalog import spec
from reconciler.catalog.load import Catalog, Entry
from reconciler.catalog.yamlio import Document
from reconciler.diagnostics import Diagnostic, Severity
from reconciler.lint.knowledge import ModelCost, ModelInfo, candidates, lookup
from reconciler.secrets.resolve import describe_ref
from reconciler.state.desired import secret_ref_dict
from reconciler.state.records import SecretRefDict, ref_key
from reconciler.words import per_million

TOOL_OUTPUT_MIN = 16_000
REASONING_OUTPUT_FRACTION = 0.25  # "far below the ceiling"
PRICE_REL_TOL = 1e-6

# catalog capability -> litellm flag
CAPABILITY_FLAGS: tuple[tuple[str, str], ...] = (
    ("vision", "supports_vision"),
    ("tool_use", "supports_function_calling"),
    ("json_mode", "supports_response_schema"),
    ("reasoning", "supports_reasoning"),
)
CODES = frozenset(
    {
        "capability-mismatch",
        "context-window-too-large",
        "max-output-too-large",
        "tool-output-too-small",
        "reasoning-output-low",
        "cost-missing",
        "cost-mismatch",
        "duplicate-secret-source",
        "unknown-model",
    }
)
COST_FIELDS: tuple[tuple[str, str], ...] = (
    ("input_per_token", "input_cost_per_token"),
    ("output_per_token", "output_cost_per_token"),
)


@dataclass(frozen=True)
class CostFix:
    """A suggested cost value for one document of one file."""

    path: str
    doc_index: int
    field: str  # input_per_token | output_per_token
    value: float
    finding: Diagnostic  # the cost-missing / cost-mismatch finding it answers


@dataclass
class LintResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixes: list[CostFix] = field(default_factory=list)
    suppressed: list[Diagnostic] = field(default_factory=list)  # silenced by comments


def _at(
    doc: Document,
    where: Sequence[str | int],
    code: str,
    message: str,
    severity: Severity = Severity.WARNING,
) -> Diagnostic:
    line, col = doc.locate(where)
    return Diagnostic(doc.origin(where), line, col, code, message, severity)


def per_million_text(price: float) -> str:
    return f"{per_million(price)} per 1M tokens"


def price_text(price: float) -> str:
    return f"{price!r} ({per_million_text(price)})"


def _reasoning_on(caps: spec.Capabilities) -> bool:
    return isinstance(caps.reasoning, spec.Reasoning) and caps.reasoning.enabled


# --- model rules ---------------------------------------------------------------------------------


def capability_mismatch(entry: Entry[spec.ModelSpec], info: ModelInfo) -> Iterator[Diagnostic]:
    caps = entry.spec.capabilities
    for name, flag in CAPABILITY_FLAGS:
        known = info.get_bool(flag)
        if known is None:
            continue
        claimed = _reasoning_on(caps) if name == "reasoning" else bool(getattr(caps, name))
        if claimed == known:
            continue
        if claimed:
            message = (
                f"capabilities.{name} is on, but litellm's data for '{info.key}' says "
                f"{flag}: false; calls that rely on it may fail"
            )
        elif name == "reasoning":
            continue  # reasoning is a toggle: off is a choice, not a contradiction
        else:
            message = (
                f"capabilities.{name} is false, but litellm's data for '{info.key}' says "
                f"{flag}: true; users will not be offered it"
            )
        yield _at(entry.doc, ["capabilities", name], "capability-mismatch", message)


def limits(entry: Entry[spec.ModelSpec], info: ModelInfo) -> Iterator[Diagnostic]:
    model = entry.spec
    max_input = info.get_int("max_input_tokens")
    if max_input is not None and model.context_window > max_input:
        yield _at(
            entry.doc,
            ["context_window"],
            "context-window-too-large",
            f"context_window {model.context_window} is above litellm's max_input_tokens "
            f"{max_input} for '{info.key}'; longer requests will be rejected",
        )
    max_output = info.get_int("max_output_tokens")
    limit = model.max_output_tokens
    if max_output is not None and limit is not None and limit > max_output:
        yield _at(
            entry.doc,
            ["max_output_tokens"],
            "max-output-too-large",
            f"max_output_tokens {limit} is above litellm's max_output_tokens {max_output} "
            f"for '{info.key}'",
        )


def tool_output(entry: Entry[spec.ModelSpec], info: ModelInfo | None) -> Iterator[Diagnostic]:
    model = entry.spec
    if not model.capabilities.tool_use or model.max_output_tokens is None:
        return
    ceiling = info.get_int("max_output_tokens") if info is not None else None
    wanted = TOOL_OUTPUT_MIN if ceiling is None else min(TOOL_OUTPUT_MIN, ceiling)
    if model.max_output_tokens < wanted:
        yield _at(
            entry.doc,
            ["max_output_tokens"],
            "tool-output-too-small",
            f"tool_use is on but max_output_tokens is {model.max_output_tokens}: responses "
            "with several parallel tool calls get truncated mid-argument; use at least "
            f"{wanted}",
        )


def reasoning_output(entry: Entry[spec.ModelSpec], info: ModelInfo) -> Iterator[Diagnostic]:
    model = entry.spec
    ceiling = info.get_int("max_output_tokens")
    if not _reasoning_on(model.capabilities) or ceiling is None:
        return
    if model.max_output_tokens is None:
        return
    if model.max_output_tokens < ceiling * REASONING_OUTPUT_FRACTION:
        yield _at(
            entry.doc,
            ["max_output_tokens"],
            "reasoning-output-low",
            f"reasoning is on but max_output_tokens {model.max_output_tokens} is under "
            f"{REASONING_OUTPUT_FRACTION:.0%} of the provider's ceiling {ceiling} "
            f"('{info.key}'): reasoning tokens count as output and can use the whole budget "
            "before the answer starts",
        )


def cost(entry: Entry[spec.ModelSpec], info: ModelInfo, result: LintResult) -> None:
    model = entry.spec
    if info.free_variant:
        return  # an OpenRouter ':free' variant costs nothing, whatever the base model costs
    for name, litellm_name in COST_FIELDS:
        known = info.get_price(litellm_name)
        if known is None:
            continue
        current = getattr(model.cost, name)
        if current is None:
            finding = _at(
                entry.doc,
                ["cost", name],
                "cost-missing",
                f"cost.{name} is not set; litellm's price for '{info.key}' is "
                f"{price_text(known)} (--fix writes it)",
            )
        elif not math.isclose(float(current), known, rel_tol=PRICE_REL_TOL, abs_tol=1e-15):
            finding = _at(
                entry.doc,
                ["cost", name],
                "cost-mismatch",
                f"cost.{name} is {price_text(float(current))} but litellm's price for "
                f"'{info.key}' is {price_text(known)} (--fix writes litellm's price)",
            )
        else:
            continue
        result.diagnostics.append(finding)
        result.fixes.append(CostFix(entry.doc.path, entry.doc.index, name, known, finding))


def unknown_model(entry: Entry[spec.ModelSpec], tried: Sequence[str]) -> Iterator[Diagnostic]:
    model = entry.spec
    yield _at(
        entry.doc,
        ["model_id"],
        "unknown-model",
        f"litellm's model data has no {model.provider} model '{model.model_id}' "
        f"(looked up {', '.join(repr(k) for k in tried)}); capability, limit and cost checks "
        "were skipped for it",
        Severity.INFO,
    )


# --- credential rules ----------------------------------------------------------------------------


def source_key(ref: SecretRefDict) -> str:
    """What a reference reads, however it is spelled: the same SOPS file can be written
    ``secrets/x.enc.yaml`` or ``./secrets/x.enc.yaml``, and reading AWSCURRENT is what a
    reference without a version stage does."""
    if "sops" in ref:
        location = dict(ref["sops"])
        location["file"] = posixpath.normpath(location["file"])
        return ref_key({"sops": location})
    if "aws_secretsmanager" in ref:
        aws = dict(ref["aws_secretsmanager"])
        if aws.get("version_stage") == "AWSCURRENT":
            del aws["version_stage"]
        return ref_key({"aws_secretsmanager": aws})
    return ref_key(ref)


def duplicate_secret_sources(catalog: Catalog) -> Iterator[Diagnostic]:
    first: dict[str, tuple[str, str]] = {}
    for entry in catalog.credentials:
        cred = entry.spec
        for name in spec.SECRET_FIELDS:
            ref = getattr(cred, name, None)
            if ref is None:
                continue
            ref_dict = secret_ref_dict(ref)
            key = source_key(ref_dict)
            seen = first.get(key)
            if seen is None:
                first[key] = (cred.name, name)
                continue
            other, other_field = seen
            if other == cred.name:
                continue
            yield _at(
                entry.doc,
                [name],
                "duplicate-secret-source",
                f"{name} reads the same secret ({describe_ref(ref_dict)}) as "
                f"{other_field} of credential '{other}'; reuse credential '{other}' instead "
                "of a second credential for the same key",
            )


# --- all ------------------------------------------------------------------------------------------


def lint_models(entries: Iterable[Entry[spec.ModelSpec]], model_cost: ModelCost) -> LintResult:
    result = LintResult()
    for entry in entries:
        info, tried = lookup(entry.spec, model_cost)
        if info is None:
            result.diagnostics.extend(tool_output(entry, None))
            if candidates(entry.spec):
                result.diagnostics.extend(unknown_model(entry, tried))
            continue
        result.diagnostics.extend(capability_mismatch(entry, info))
        result.diagnostics.extend(limits(entry, info))
        result.diagnostics.extend(tool_output(entry, info))
        result.diagnostics.extend(reasoning_output(entry, info))
        cost(entry, info, result)
    return result


def lint_catalog(catalog: Catalog, model_cost: ModelCost) -> LintResult:
    """Every lint rule over a loaded catalog (documents that failed the schema are skipped)."""
    result = lint_models(catalog.models, model_cost)
    result.diagnostics.extend(duplicate_secret_sources(catalog))
    if catalog.environment:  # an environment's findings name it, as its validation does
        result.diagnostics = [
            replace(d, environment=catalog.environment) for d in result.diagnostics
        ]
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result
