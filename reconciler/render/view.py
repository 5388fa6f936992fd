"""The format-neutral view of a plan that every plan renderer (text, markdown, JSON) reads:
what a change is called, what a create is, which secret texts and flags apply, and the plan's
alerts with their words (reconciler.render.alerts) grouped by kind. Formats only lay it out.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.catalog.spec import PLAIN_CONFIG_FIELDS, SECRET_FIELDS
from reconciler.plan.alerts import Alert, AlertKind, Guard
from reconciler.plan.model import (
    ACTIONS,
    Action,
    Change,
    CreatedFields,
    FieldChange,
    Kind,
    Plan,
    RefChange,
    SecretStatus,
)
from reconciler.plan.status import uncompared_secrets
from reconciler.render.alerts import Approve, Untrusted
from reconciler.render.alerts import alert_text as words
from reconciler.render.values import escape_control, format_value
from reconciler.state.records import MODEL_FIELDS
from reconciler.words import plural

NO_CHANGES = "No changes. The registry matches the catalog."
DEACTIVATED = "kept, marked inactive"
NO_FIELDS_REACTIVATE = "no field changes; the row comes back as it was"
NO_FIELDS_ADOPT = "no field changes; the row becomes managed by the reconciler"
ADOPT_LABEL = "adopts an unmanaged row"

SECRET_TEXT: dict[SecretStatus, str] = {
    SecretStatus.ADDED: "sensitive value added",
    SecretStatus.CHANGED: "sensitive value changed",
    SecretStatus.UNCHANGED: "sensitive value unchanged",
    SecretStatus.UNKNOWN: "sensitive value may have changed: source version unknown",
    SecretStatus.REMOVED: "sensitive value removed",
}

# What is known about the value behind a secret whose reference changed (or, for a new
# secret, that it is added).
REF_VALUE_TEXT: dict[SecretStatus, str] = {
    SecretStatus.ADDED: SECRET_TEXT[SecretStatus.ADDED],
    SecretStatus.CHANGED: "value changed",
    SecretStatus.UNCHANGED: "value unchanged",
    SecretStatus.UNKNOWN: "value not compared",
}
# The "before" of a secret that had no reference: no value at all (a new secret), or a value
# stored without one (written by the application).
NO_VALUE = "none"
NO_REFERENCE = "stored without a reference"


def sensitive_status(path: str, change: FieldChange) -> SecretStatus | None:
    """The secret status of a field, or None when the field is not sensitive.

    A field is sensitive when the plan marks it so, and also (defence in depth) when its name
    is a secret field of the catalog format even though the plan forgot to mark it: its values
    are then never shown either.
    """
    if change.secret is not None:
        return change.secret
    if _secret_name(path):
        return SecretStatus.CHANGED
    return None


def _secret_name(path: str) -> bool:
    return path not in _PLAIN_MODEL_PATHS and path.rsplit(".", 1)[-1] in SECRET_FIELDS


# Paths known not to be secret names, looked up before splitting a path (10,000 creates
# have 170,000 fields).
_PLAIN_MODEL_PATHS = frozenset(
    path for path, _column in MODEL_FIELDS if path.rsplit(".", 1)[-1] not in SECRET_FIELDS
)


def value_status(path: str, change: FieldChange) -> SecretStatus | None:
    """What is known of a secret's value, as every format tells it (None: not sensitive).
    A new reference rewrites the stored secret (``change.secret`` is then CHANGED, which
    apply acts on), but the value behind it may be the same: that is ``ref.value``."""
    status = sensitive_status(path, change)
    if status is not None and change.ref is not None:
        return change.ref.value
    return status


def ref_value_text(ref: RefChange) -> str:
    return REF_VALUE_TEXT.get(ref.value, REF_VALUE_TEXT[SecretStatus.CHANGED])


def ref_before_text(change: FieldChange) -> str | None:
    """What stood before a secret whose reference is shown, when it had no reference (the
    diff's ``RefChange`` before is then empty): ``none`` for a new secret, else that a value
    is stored without a reference. None when there is a previous reference to show."""
    if change.ref is None or change.ref.before:
        return None
    return NO_VALUE if change.secret is SecretStatus.ADDED else NO_REFERENCE


def ref_text(text: str) -> str:
    """A secret reference (``env OPENAI_API_KEY``) on one line, control characters escaped."""
    return escape_control(text).replace("\n", "\\n")


def describe_create(change: Change) -> str:
    """The one-line description of a created object (never the whole object):
    ``openai/gpt-5.5, platform, premium`` for a model, ``anthropic`` for a credential."""
    parts: list[str] = []
    if change.kind is Kind.MODEL:
        # only the fields the line names: a 10,000-create preview reads no others
        values = _plain_values(change, _MODEL_DESCRIBED)
        provider, model_id = values.get("provider"), values.get("model_id")
        if model_id is not None:
            ident = str(model_id)
            if provider is not None and not ident.startswith(f"{provider}/"):
                ident = f"{provider}/{ident}"
            parts.append(ident)
        elif provider is not None:
            parts.append(str(provider))
        deployment = values.get("deployment")
        credential = values.get("credential")
        if deployment is not None:
            parts.append(
                f"{deployment} via {credential}" if credential is not None else str(deployment)
            )
        elif credential is not None:
            parts.append(f"via {credential}")
        if values.get("category") is not None:
            parts.append(str(values["category"]))
        if values.get("enabled") is False:
            parts.append("disabled")
        return ", ".join(escape_control(p).replace("\n", "\\n") for p in parts)
    values = {
        path: fc.after for path, fc in change.fields.items() if sensitive_status(path, fc) is None
    }
    if change.kind is Kind.CREDENTIAL:
        if values.get("provider") is not None:
            parts.append(format_value(values["provider"]))
        parts.extend(format_value(values[name]) for name in PLAIN_CONFIG_FIELDS if name in values)
        return ", ".join(parts)
    return ", ".join(f"{path}: {format_value(value)}" for path, value in values.items())


_MODEL_DESCRIBED = ("provider", "model_id", "deployment", "credential", "category", "enabled")


def _plain_values(change: Change, paths: Sequence[str]) -> dict[str, Any]:
    """The values of those of ``paths`` the change sets and that are not sensitive."""
    values: dict[str, Any] = {}
    for path in paths:
        fc = change.fields.get(path)
        if fc is not None and sensitive_status(path, fc) is None:
            values[path] = fc.after
    return values


def change_flags(change: Change) -> list[str]:
    """The action word and qualifiers of a change: ``["update", "adopts an unmanaged row"]``."""
    flags = [change.action.value]
    if change.adopt:
        flags.append(ADOPT_LABEL)
    if change.breaking:
        flags.append("breaking")
    return flags


def change_name(change: Change, arrow: str = "->") -> str:
    """``gpt-4o``, or ``old -> new`` for a rename (``arrow`` is the format's arrow); raw text,
    each format escapes it."""
    if change.action is Action.RENAME and change.previous_key:
        return f"{change.previous_key} {arrow} {change.key}"
    return change.key


def change_title(change: Change, arrow: str = "->") -> str:
    """``model gpt-4o``, ``model old -> new`` for a rename, plain ``settings`` for settings;
    raw text."""
    if change.kind is Kind.SETTINGS:
        return change.kind.value
    return f"{change.kind.value} {change_name(change, arrow)}"


def title(change: Change) -> str:
    """``change_title`` on one line with control characters escaped (terminal text)."""
    return escape_control(change_title(change)).replace("\n", "\\n")


def slug_change_text(change: Change, code: Untrusted = escape_control) -> str | None:
    """What a rename does to API clients calling the old slug (None for any other change):
    the LiteLLM config (``reconciler litellm-config``) aliases it while the model is enabled;
    the registry (``RegistryClient.resolve``) knows only the new slug. ``code`` makes the
    registry's old slug inert in the format."""
    if change.action is not Action.RENAME or not change.previous_key:
        return None
    old = code(change.previous_key)
    if change.litellm_alias:
        return f"slug changes; LiteLLM keeps {old} as an alias, the registry does not"
    return f"slug changes; no alias for {old} (the model is disabled)"


def change_detail(change: Change) -> str:
    """What a change does beyond its fields, in every format: a create's one-line
    description, and for a change without fields what happens to the row."""
    if change.action is Action.CREATE:
        return describe_create(change)
    if change.fields:
        return ""
    if change.action is Action.DEACTIVATE:
        return DEACTIVATED
    if change.action is Action.REACTIVATE:
        return NO_FIELDS_REACTIVATE
    if change.action is Action.UPDATE and change.adopt:
        return NO_FIELDS_ADOPT
    return ""


# Created models list their fields in column order, whatever order the values came in (a
# saved plan's values are sorted by name).
_MODEL_FIELD_RANK = {path: rank for rank, (path, _column) in enumerate(MODEL_FIELDS)}


def created_fields(change: Change) -> list[tuple[str, FieldChange]]:
    """The fields of a created object in a stable order: models in column order (unknown
    paths after, as given), other kinds as the plan gives them."""
    items = list(change.fields.items())
    if change.kind is Kind.MODEL:
        items.sort(key=lambda item: _MODEL_FIELD_RANK.get(item[0], len(_MODEL_FIELD_RANK)))
    return items


def shows_fields(change: Change) -> bool:
    """In text, creates are one line; every other action lists its field changes."""
    return change.action is not Action.CREATE and bool(change.fields)


def no_changes_text(plan: Plan) -> str:
    """The headline of a plan without changes: ``NO_CHANGES`` only when every secret was
    compared; else apply may still write secrets, and the plan must not say the registry
    matches."""
    count = uncompared_secrets(plan)
    if not count:
        return NO_CHANGES
    it = "it" if count == 1 else "them"
    return (
        f"No changes found; {plural(count, 'secret')} could not be compared: apply reads "
        f"{it} and may update the registry."
    )


def summary_line(plan: Plan, *, zeros: bool = True) -> str:
    """``Plan: 1 to create, 0 to update, ...``; without ``zeros`` only the actions it has."""
    counts = plan.summary()
    body = ", ".join(f"{counts[a.value]} to {a.value}" for a in ACTIONS if zeros or counts[a.value])
    return f"Plan: {body}."


def join_words(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def required_flags(plan: Plan) -> list[str]:
    """The flags apply needs for this plan, in guard order, without repeats."""
    return list(dict.fromkeys(g.flag for g in plan.guards))


def refused_flags(plan: Plan, allowed: frozenset[str]) -> list[str]:
    """``required_flags`` that were not given: apply refuses until they are."""
    return [flag for flag in required_flags(plan) if flag not in allowed]


def allowed_flags(plan: Plan, allowed: frozenset[str]) -> list[str]:
    """``required_flags`` that were given: their guards no longer stop apply."""
    return [flag for flag in required_flags(plan) if flag in allowed]


def guard_verdict(flag: str, allowed: bool) -> str:
    """What a tripped guard means for apply: whether its flag was given or not."""
    if allowed:
        return f"allowed by {flag}"
    return f"apply will refuse unless {flag} is given"


def created_secrets(change: Change) -> list[tuple[str, FieldChange]]:
    """The secret fields a create sets, in plan order (other actions: none)."""
    if change.action is not Action.CREATE:
        return []
    fields = change.fields
    if isinstance(fields, CreatedFields):
        # A created model's changes are never marked secret (a model holds none), so only
        # a secret's name makes one sensitive: read the names, not every change.
        return [(path, fields[path]) for path in fields if _secret_name(path)]
    return [
        (path, fc) for path, fc in change.fields.items() if sensitive_status(path, fc) is not None
    ]


# --- alerts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertItem:
    """One alert with its words; ``change`` is the change a warning is on."""

    alert: Alert
    text: str
    change: Change | None = None


@dataclass(frozen=True)
class GuardItem:
    guard: Guard
    text: str
    allowed: bool  # its flag was given to apply: it does not refuse


@dataclass(frozen=True)
class PlanView:
    """The plan's alerts, grouped by kind and worded once, and the flags apply needs. Built
    once per rendering; per-change rows are left to the formats (a plan can hold 10,000
    creates, and markdown lists only what fits)."""

    plan: Plan
    errors: list[AlertItem]
    guards: list[GuardItem]
    workflow_impact: list[AlertItem]  # warnings about the workflows that use a model
    other_warnings: list[AlertItem]
    notes: list[AlertItem]
    refused: list[str]  # guard flags not given: apply refuses until they are
    given: list[str]  # guard flags given: their guards are allowed

    @property
    def breaking(self) -> int:
        return sum(c.breaking for c in self.plan.changes)


def plan_view(
    plan: Plan,
    allowed: frozenset[str] = frozenset(),
    untrusted: Untrusted | None = None,
    approve: Approve = "flag",
    *,
    reasons_only: bool = False,
) -> PlanView:
    """The plan's alerts with their words; ``untrusted`` formats names read from the registry
    (a format that renders markup makes them inert); ``approve``: a pull request's reader
    approves with labels, a terminal's with flags; ``reasons_only``: why a secret could not be
    read, without the source's details (render.alerts.failure_text)."""

    def alert_text(alert: Alert) -> str:
        if untrusted is None:
            return words(alert, approve=approve, reasons_only=reasons_only)
        return words(alert, untrusted, approve, reasons_only=reasons_only)

    impact: list[AlertItem] = []
    other: list[AlertItem] = []
    for change in plan.changes:
        for warning in change.warnings:
            item = AlertItem(warning, alert_text(warning), change)
            (impact if warning.kind is AlertKind.WORKFLOW_IMPACT else other).append(item)
    return PlanView(
        plan=plan,
        errors=[AlertItem(e, alert_text(e)) for e in plan.errors],
        guards=[GuardItem(g, alert_text(g), g.flag in allowed) for g in plan.guards],
        workflow_impact=impact,
        other_warnings=other,
        notes=[AlertItem(n, alert_text(n)) for n in plan.notes],
        refused=refused_flags(plan, allowed),
        given=allowed_flags(plan, allowed),
    )


# --- risk ------------------------------------------------------------------------------------


class Risk(enum.IntEnum):
    """How much a reviewer needs to see a change, most first: a big plan's comment shows
    these first and shortens creates before anything else."""

    BREAKING = 0
    REMOVAL = 1  # delete, deactivate
    REVERT = 2  # rewrites a field the application edited
    UPDATE = 3  # update, reactivate
    RENAME = 4
    CREATE = 5


def risk(change: Change) -> Risk:
    if change.breaking:
        return Risk.BREAKING
    if change.action in (Action.DELETE, Action.DEACTIVATE):
        return Risk.REMOVAL
    if any(w.kind is AlertKind.REVERTS_APPLICATION_EDIT for w in change.warnings):
        return Risk.REVERT
    if change.action is Action.RENAME:
        return Risk.RENAME
    if change.action is Action.CREATE:
        return Risk.CREATE
    return Risk.UPDATE


def by_risk(changes: Sequence[Change]) -> list[Change]:
    """The changes riskiest first (``risk``), in plan order within a rank: how the text plan
    and the PR comment list them, so a reviewer reads the same order in both (JSON, apply's
    report and the plan file keep apply order)."""
    return sorted(changes, key=risk)
