"""The words for the plan's typed alerts: one sentence per record, shared by every format.

Renderers (text, markdown, JSON ``message``, apply's refusal) say an alert only through
``alert_text``, so all of them say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from reconciler.diagnostics import Location
from reconciler.plan.alerts import (
    Alert,
    Breaking,
    CatalogEmpty,
    CredentialInUse,
    CredentialLinkedByApplication,
    DropsCredential,
    FallsBackToEnvironment,
    KeyMismatch,
    LikelyRename,
    MassRemoval,
    NotManaged,
    ReadFailure,
    RegistryBoundElsewhere,
    RevertsApplicationEdit,
    SecretFailure,
    SecretNotCompared,
    SecretsByVersion,
    SecretsUnreadable,
    SecretVersionsUnchecked,
    SlugChanged,
    UnlinksInactiveModels,
    WorkflowImpact,
    guard_label,
)
from reconciler.secrets.crypto import KEY_ENV, OLD_KEYS_ENV
from reconciler.words import plural

SHOWN = 5  # names listed before ", ..."


def listed(names: Sequence[str], total: int | None = None) -> str:
    """The first ``SHOWN`` names, and ``, ...`` when there are more (``total`` when the names
    are only the first few of it)."""
    more = (total if total is not None else len(names)) > min(len(names), SHOWN)
    return ", ".join(names[:SHOWN]) + (", ..." if more else "")


def key_mismatch_message(key_ids: Sequence[str]) -> str:
    return (
        f"the registry's secrets are encrypted under key id(s) {', '.join(key_ids)}, "
        f"which {KEY_ENV} does not match"
    )


def key_mismatch_hint(sqlite_file: str | None = None) -> str:
    hint = (
        "set the registry's key; to change keys use 'reconciler rotate-key' with the old key "
        f"in {OLD_KEYS_ENV}"
    )
    if sqlite_file is None:
        return hint
    return hint + (
        f"; or, if {sqlite_file} is a throwaway registry (such as the quick start's), delete it "
        "and run 'reconciler db upgrade' to start afresh"
    )


def environment_name(environment: str) -> str:
    """``environment 'staging'``, or ``the base catalog`` for ""."""
    return f"environment '{environment}'" if environment else "the base catalog"


def _bound_elsewhere(alert: RegistryBoundElsewhere) -> str:
    bound, mine = environment_name(alert.bound), environment_name(alert.environment)
    registry = (
        f"the registry of environment '{alert.environment}'"
        if alert.environment
        else "the base catalog's registry"
    )
    return (
        f"this registry is bound to {bound}, but the plan is for {mine}: apply refuses it. "
        f"Plan against {registry} (check --db / REGISTRY_DATABASE_URL; in CI, the URL secret "
        f"the job reads); or, to move this registry to {mine} on purpose, apply with "
        "--rebind-environment"
    )


_BY_VERSION = {
    "key-not-set": f"{KEY_ENV} is not set: secrets compared by source version, not value",
    "no-secrets": "secrets compared by source version (--no-secrets); values were not read",
    "key-mismatch": f"{KEY_ENV} does not match the key the registry's secrets are encrypted "
    "with; secrets compared by source version",
}


def _same(text: str) -> str:
    return text


# How a renderer shows text that did not come from the reviewed catalog (workflow names, rows
# the application created): as is for a terminal, inert (a code span) in a PR comment.
Untrusted = Callable[[str], str]


def _workflow_impact(alert: WorkflowImpact, untrusted: Untrusted) -> str:
    names = listed([untrusted(name) for name in alert.workflows], alert.count)
    verb = "repoints" if alert.repoints else "referenced by"
    text = f"{verb} {plural(alert.count, 'active workflow')}: {names}"
    return f"disabling: {text}" if alert.disabling else text


def _mass_removal(alert: MassRemoval) -> str:
    removed = alert.deactivated + alert.disabled
    share = "all" if removed >= alert.managed else f"{removed / alert.managed:.0%}"
    if not alert.disabled:
        what = f"deactivates {removed}"
    elif not alert.deactivated:
        what = f"disables {removed}"
    else:
        what = f"deactivates {alert.deactivated} and disables {alert.disabled}"
    return (
        f"the plan {what} of {plural(alert.managed, 'managed model')} ({share}); "
        "is the catalog checkout complete?"
    )


def _breaking(alert: Breaking) -> str:
    count = len(alert.models)
    # the verb agrees with the count: "1 change deactivates", "2 changes deactivate"
    verb = "deactivates or disables" if count == 1 else "deactivate or disable"
    return (
        f"{plural(count, 'change')} {verb} models that active workflows use: {listed(alert.models)}"
    )


# How a plan's reader approves what apply refuses without a flag: in a pull request by a label
# (action.yml maps each label to its flag), in a terminal by the flag itself.
Approve = Literal["label", "flag"]
ADOPT = "--adopt"


def location(where: Location) -> str:
    """``path:line:col`` as diagnostics print it (less when line or column is unknown)."""
    if where.line <= 0:
        return where.path
    return f"{where.path}:{where.line}" + (f":{where.column}" if where.column > 0 else "")


def _not_managed(alert: NotManaged, approve: Approve) -> str:
    how = f"add the label `{guard_label(ADOPT)}`" if approve == "label" else f"pass {ADOPT}"
    where = "" if alert.source is None else location(alert.source) + ": "
    if alert.object_kind == "settings":  # one object: there is no other name to move to
        return (
            f"{where}the registry's settings were not set by the reconciler; {how} to take "
            "them over, or remove the Settings document from the catalog"
        )
    return (
        f"{where}{alert.object_kind} '{alert.key}' exists in the registry but was not created "
        f"by the reconciler; {how} to take it over, or rename it in the catalog"
    )


def _in_use(alert: CredentialInUse) -> str:
    users = sorted([f"model {m}" for m in alert.models] + (["settings"] if alert.settings else []))
    return (
        f"credential '{alert.credential}' left the catalog but is still used by "
        f"{listed(users)}; repoint or remove those first"
    )


def _linked(alert: CredentialLinkedByApplication, untrusted: Untrusted) -> str:
    inactive = set(alert.inactive)
    rows = [
        f"model {untrusted(m)}{' (inactive)' if m in inactive else ''}"
        for m in sorted(alert.models)
    ]
    return (
        f"credential '{alert.credential}' left the catalog but models the reconciler does not "
        f"manage still link it: {listed(rows)}; repoint or delete those models in the "
        "application, or keep the credential in the catalog"
    )


def _reverts(alert: RevertsApplicationEdit) -> str:
    if alert.whole_row:
        return (
            "edited in the registry since the last apply; applying reverts: "
            + ", ".join(alert.fields)
            + " (the row was written before the reconciler recorded values by field, so this "
            "lists every field the change rewrites; one apply records them)"
        )
    parts = []
    if alert.fields:
        parts.append(
            "the application changed "
            + ", ".join(alert.fields)
            + " since the last apply; applying reverts "
            + ("it" if len(alert.fields) == 1 else "them")
            + " to the catalog's value"
        )
    if alert.conflicts:
        parts.append(
            "conflict: the application and this change both changed "
            + ", ".join(alert.conflicts)
            + "; applying writes the catalog's value"
        )
    if alert.catalog:
        parts.append("this change's own: " + ", ".join(alert.catalog))
    return "; ".join(parts)


def _reads_environment(variables: Sequence[str], count: int) -> str:
    """Where models left without a credential find their key at runtime (as
    ``RegistryClient.resolve`` does): said alike for a deleted and a dropped credential."""
    where = " or ".join(variables) or "no variable (this provider has none)"
    if count == 1:
        return (
            "at runtime it reads the provider's key from the application's environment "
            f"({where}), and has no key where it is not set"
        )
    return (
        "at runtime they read the provider's key from the application's environment "
        f"({where}), and have no key where it is not set"
    )


def _drops_credential(alert: DropsCredential, untrusted: Untrusted) -> str:
    # the name comes from the registry's row, which the application may have written: a
    # format makes it inert (a code span in markdown), so it is not quoted here
    name = untrusted(alert.credential)
    if alert.platform:
        return (
            f"platform_credential {name} is dropped: "
            f"{plural(len(alert.models), 'platform model')} that used it will have no "
            f"credential: {listed(alert.models)}; "
            f"{_reads_environment(alert.variables, len(alert.models))}"
        )
    return (
        f"no longer uses credential {name}: "
        f"{_reads_environment(alert.variables, len(alert.models))}"
    )


_REASONS = {
    ReadFailure.NOT_SET: "not set",
    ReadFailure.NOT_FOUND: "not found",
    ReadFailure.ACCESS_DENIED: "access denied",
    ReadFailure.NO_KEY: "no key here can decrypt it",
    ReadFailure.UNAVAILABLE: "source unavailable: throttled, unreachable or timed out",
    ReadFailure.INVALID: "not a usable value",
    ReadFailure.OTHER: "could not be read",
}


def failure_text(failure: SecretFailure, *, reasons_only: bool = False) -> str:
    """Why a secret could not be read: the failure's detail (file, key or secret id, AWS's
    error code), or with ``reasons_only`` (a pull request comment, which anyone may read) the
    reason alone: a detail can name a KMS key's ARN, a recipient or a local path."""
    return _REASONS[failure.reason] if reasons_only else failure.detail


def _failures(secrets: Sequence[tuple[str, SecretFailure]], reasons_only: bool) -> str:
    return "; ".join(
        f"{ref} ({failure_text(why, reasons_only=reasons_only)})" for ref, why in secrets
    )


def alert_text(
    alert: Alert,
    untrusted: Untrusted = _same,
    approve: Approve = "flag",
    *,
    reasons_only: bool = False,
) -> str:
    """The sentence for ``alert`` (may hold newlines only where its data does). Names read
    from the registry that the catalog does not hold pass through ``untrusted``; ``approve``
    says how the reader allows what apply refuses (a pull request's label, or a flag);
    ``reasons_only``: see ``failure_text``."""
    match alert:
        case WorkflowImpact():
            return _workflow_impact(alert, untrusted)
        case RevertsApplicationEdit():
            return _reverts(alert)
        case UnlinksInactiveModels():
            noun = "model" if len(alert.models) == 1 else "models"
            return f"unlinks {len(alert.models)} inactive {noun}: {listed(alert.models)}"
        case FallsBackToEnvironment():
            return (
                f"{plural(len(alert.models), 'model')} that used it will have no credential: "
                f"{listed(alert.models)}; {_reads_environment(alert.variables, len(alert.models))}"
            )
        case DropsCredential():
            return _drops_credential(alert, untrusted)
        case SlugChanged():
            return (
                f"the slug changes to '{alert.slug}' (its display_name changed): API clients "
                f"that call '{alert.previous_slug}' break; add "
                f"`previous_slugs: [{alert.previous_slug}]` to model '{alert.slug}' to keep "
                f"its row and repoint its workflows, or pin `slug: {alert.previous_slug}`"
            )
        case LikelyRename():
            return (
                f"model '{alert.slug}' looks like a rename of '{alert.previous_slug}': add "
                f"`previous_slugs: [{alert.previous_slug}]` to keep its row and repoint its "
                f"workflows, or pin `slug: {alert.previous_slug}`"
            )
        case SecretNotCompared():
            return (
                "could not tell whether these secrets changed (their values were not read and "
                "they have no source version): " + ", ".join(alert.secrets) + "; apply reads them"
            )
        case SecretsByVersion():
            return _BY_VERSION[alert.reason]
        case SecretsUnreadable():
            return (
                "some secrets could not be read here (apply must be able to read them; until "
                "then they are compared by source version where they have one): "
                + _failures(alert.secrets, reasons_only)
            )
        case SecretVersionsUnchecked():
            return (
                "the source version of some secrets could not be checked (their values were "
                "not read, so they are not compared; apply reads them and fails the same way "
                "unless this is fixed): " + _failures(alert.secrets, reasons_only)
            )
        case NotManaged():
            return _not_managed(alert, approve)
        case CredentialInUse():
            return _in_use(alert)
        case CatalogEmpty():
            return (
                "the catalog declares no models and no credentials, but the registry holds "
                f"{plural(alert.models, 'managed model')} and "
                f"{plural(alert.credentials, 'managed credential')}: check that --catalog names "
                "the catalog directory (and the checkout is complete), or add the Model and "
                "ProviderCredential documents ('reconciler new model', 'reconciler new "
                "credential'); 'reconciler export' writes the registry as a catalog"
            )
        case CredentialLinkedByApplication():
            return _linked(alert, untrusted)
        case KeyMismatch():
            return f"{key_mismatch_message(alert.key_ids)}: {key_mismatch_hint(alert.sqlite_file)}"
        case RegistryBoundElsewhere():
            return _bound_elsewhere(alert)
        case MassRemoval():
            return _mass_removal(alert)
        case Breaking():
            return _breaking(alert)
    raise AssertionError(f"no words for alert kind {alert.kind}")  # pragma: no cover
