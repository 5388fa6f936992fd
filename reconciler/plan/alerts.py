"""The plan's warnings, notes, errors and guards as typed records: a kind from a closed set,
the subject it is about, and its data (workflow names, fields, counts, slugs).

No wording here: renderers (reconciler.render.alerts) choose the words, and code that needs to
know what an alert means reads its kind and data, never its text. Name lists are complete
unless the record says otherwise (a workflow impact holds the first few names the registry
read, and the total count).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from reconciler.diagnostics import Location


class AlertKind(enum.StrEnum):
    # warnings on a change
    WORKFLOW_IMPACT = "workflow-impact"
    REVERTS_APPLICATION_EDIT = "reverts-application-edit"
    UNLINKS_INACTIVE_MODELS = "unlinks-inactive-models"
    FALLS_BACK_TO_ENVIRONMENT = "falls-back-to-environment"
    DROPS_CREDENTIAL = "drops-credential"
    SLUG_CHANGED = "slug-changed"
    # notes
    LIKELY_RENAME = "likely-rename"
    SECRET_NOT_COMPARED = "secret-not-compared"  # noqa: S105 (a kind, not a password)
    SECRETS_BY_VERSION = "secrets-by-version"
    SECRETS_UNREADABLE = "secrets-unreadable"
    SECRET_VERSIONS_UNCHECKED = "secret-versions-unchecked"  # noqa: S105 (a kind)
    # errors
    NOT_MANAGED = "not-managed"
    CREDENTIAL_IN_USE = "credential-in-use"
    CATALOG_EMPTY = "catalog-empty"
    CREDENTIAL_LINKED_BY_APPLICATION = "credential-linked-by-application"
    KEY_MISMATCH = "key-mismatch"
    REGISTRY_BOUND_ELSEWHERE = "registry-bound-elsewhere"
    # guards
    MASS_REMOVAL = "mass-removal"
    BREAKING = "breaking"


@dataclass(frozen=True)
class Alert:
    """One warning, note, error or guard. ``subject`` names what it is about (``model gpt-4``,
    ``credential prod``, ``settings``), or is empty for the plan as a whole."""

    KIND: ClassVar[AlertKind]
    subject: str

    @property
    def kind(self) -> AlertKind:
        return self.KIND

    def data(self) -> dict[str, Any]:
        """The record's data as JSON-compatible values (tuples as lists), without subject."""
        return {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name != "subject"
        }


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Location):
        return {"path": value.path, "line": value.line, "column": value.column}
    if isinstance(value, SecretFailure):
        return {"reason": value.reason.value, "code": value.code, "detail": value.detail}
    return value


# --- warnings on a change ----------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowImpact(Alert):
    """Active workflows use the model: a deactivation leaves them without it, a disable makes
    them fail, a rename repoints them. ``workflows`` are the first names, ``count`` all."""

    KIND = AlertKind.WORKFLOW_IMPACT
    workflows: tuple[str, ...]
    count: int
    repoints: bool = False  # a rename: the workflows follow the row to its new slug
    disabling: bool = False  # the change disables the model they use


@dataclass(frozen=True)
class RevertsApplicationEdit(Alert):
    """The application edited the row since the last apply. ``fields``: changed by the
    application only, which applying reverts to the catalog's (unchanged) value;
    ``conflicts``: changed by both the application and this catalog change; ``catalog``:
    the change's own fields, which the application left alone. ``whole_row``: the row was
    written before the reconciler recorded values by field, so it cannot tell which fields
    the application changed and ``fields`` lists every field the change rewrites."""

    KIND = AlertKind.REVERTS_APPLICATION_EDIT
    fields: tuple[str, ...]
    conflicts: tuple[str, ...] = ()
    whole_row: bool = False
    catalog: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnlinksInactiveModels(Alert):
    """Deleting the credential unlinks these inactive managed models (sorted)."""

    KIND = AlertKind.UNLINKS_INACTIVE_MODELS
    models: tuple[str, ...]


@dataclass(frozen=True)
class FallsBackToEnvironment(Alert):
    """Models that used the deleted credential have none once applied: at runtime they read
    their provider's fallback ``variables`` from the application's environment (as
    ``RegistryClient.resolve`` does), or have no key if none is set. Both sorted."""

    KIND = AlertKind.FALLS_BACK_TO_ENVIRONMENT
    models: tuple[str, ...]
    variables: tuple[str, ...]


@dataclass(frozen=True)
class DropsCredential(Alert):
    """Models that used ``credential`` have none once applied, although the credential is not
    deleted: on a model's change, its catalog entry no longer names it (its ``credential`` line
    was dropped, or its deployment changed); on the settings' change (``platform``), the
    platform models the dropped ``platform_credential`` served. As after a credential delete
    (``FallsBackToEnvironment``), at runtime they read their provider's fallback ``variables``
    from the application's environment, or have no key. Models and variables sorted."""

    KIND = AlertKind.DROPS_CREDENTIAL
    credential: str
    models: tuple[str, ...]
    variables: tuple[str, ...]
    platform: bool = False


@dataclass(frozen=True)
class SlugChanged(Alert):
    """An edited display_name derived a new slug: the model is created under ``slug`` and
    ``previous_slug`` deactivated, so API clients calling ``previous_slug`` break."""

    KIND = AlertKind.SLUG_CHANGED
    previous_slug: str
    slug: str


# --- notes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LikelyRename(Alert):
    """A created and a deactivated model share provider and model_id."""

    KIND = AlertKind.LIKELY_RENAME
    previous_slug: str
    slug: str


@dataclass(frozen=True)
class SecretNotCompared(Alert):
    """Secrets (``credential.field``, sorted) neither read nor versioned: apply reads them."""

    KIND = AlertKind.SECRET_NOT_COMPARED
    secrets: tuple[str, ...]


ByVersionReason = Literal["key-not-set", "no-secrets", "key-mismatch"]


@dataclass(frozen=True)
class SecretsByVersion(Alert):
    """Secrets were compared by source version, not value, and why."""

    KIND = AlertKind.SECRETS_BY_VERSION
    reason: ByVersionReason


class ReadFailure(enum.StrEnum):
    """Why a secret reference could not be read, whatever its source."""

    NOT_SET = "not-set"  # an environment variable that is unset or empty
    NOT_FOUND = "not-found"  # no such secret, file, key or version stage
    ACCESS_DENIED = "access-denied"  # the source refused these credentials
    NO_KEY = "no-key"  # no decryption key here fits (SOPS's age/KMS keys, a KMS key policy)
    UNAVAILABLE = "unavailable"  # throttled, unreachable or timed out: may pass on a retry
    INVALID = "invalid"  # found, but not a usable value (binary, empty, not a string, tampered)
    OTHER = "other"


@dataclass(frozen=True)
class SecretFailure:
    """Why one secret could not be read: the ``reason``; the source's own error ``code``
    (AWS's, e.g. ``AccessDeniedException``; None for others); and ``detail``, the words a
    terminal or apply's error shows, naming the reference's file, key or secret id. Never a
    value, and never the source's own message: AWS's names accounts, users and ARNs, and
    sops's output could hold plaintext. A pull request comment words the reason alone (the
    detail can name a KMS key or a local path)."""

    reason: ReadFailure
    detail: str
    code: str | None = None


@dataclass(frozen=True)
class SecretsUnreadable(Alert):
    """Secrets that could not be read here: ``(reference, failure)`` pairs, never values."""

    KIND = AlertKind.SECRETS_UNREADABLE
    secrets: tuple[tuple[str, SecretFailure], ...]


@dataclass(frozen=True)
class SecretVersionsUnchecked(Alert):
    """Secrets whose values were not read (``--no-secrets``, or no registry key) and whose
    source version could not be looked up either (an AWS secret DescribeSecret refuses or
    does not find, a SOPS file or key that is missing): ``(reference, failure)`` pairs. Apply
    reads these secrets and will most likely fail on them the same way."""

    KIND = AlertKind.SECRET_VERSIONS_UNCHECKED
    secrets: tuple[tuple[str, SecretFailure], ...]


# --- errors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotManaged(Alert):
    """The row exists in the registry but the reconciler did not create it (no --adopt)."""

    KIND = AlertKind.NOT_MANAGED
    object_kind: str  # credential, model or settings
    key: str
    # the catalog document that defines the object (None in a plan saved before it was kept)
    source: Location | None = None


@dataclass(frozen=True)
class CredentialInUse(Alert):
    """A credential left the catalog, but models of the plan (or the settings) still use it."""

    KIND = AlertKind.CREDENTIAL_IN_USE
    credential: str
    models: tuple[str, ...]
    settings: bool = False


@dataclass(frozen=True)
class CatalogEmpty(Alert):
    """The catalog declares nothing, but the registry holds ``models`` managed active models
    (and ``credentials`` managed credentials), and its settings use one of them: most likely
    a wrong --catalog path or an incomplete checkout. It stands in for the follow-on errors
    (the settings still using a credential that would be deleted)."""

    KIND = AlertKind.CATALOG_EMPTY
    models: int
    credentials: int


@dataclass(frozen=True)
class CredentialLinkedByApplication(Alert):
    """A credential left the catalog, but models the reconciler does not manage link it."""

    KIND = AlertKind.CREDENTIAL_LINKED_BY_APPLICATION
    credential: str
    models: tuple[str, ...]
    inactive: tuple[str, ...] = ()  # those of ``models`` that are inactive


@dataclass(frozen=True)
class KeyMismatch(Alert):
    """REGISTRY_ENCRYPTION_KEY cannot decrypt the registry's secrets (key ids it lacks)."""

    KIND = AlertKind.KEY_MISMATCH
    key_ids: tuple[str, ...]
    sqlite_file: str | None = None  # a SQLite registry may be a throwaway one: deleting it is a fix


@dataclass(frozen=True)
class RegistryBoundElsewhere(Alert):
    """An earlier apply bound the registry to environment ``bound``, and this plan is
    ``environment``'s ("" the base catalog): apply refuses it unless re-bound on purpose, so
    the plan most likely reads the wrong registry (a missing per-environment URL)."""

    KIND = AlertKind.REGISTRY_BOUND_ELSEWHERE
    bound: str
    environment: str


# --- guards ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guard(Alert):
    """A safety rule the plan trips; apply refuses unless ``flag`` is given."""

    FLAG: ClassVar[str]

    @property
    def flag(self) -> str:
        return self.FLAG

    @property
    def label(self) -> str:
        return guard_label(self.FLAG)


def guard_label(flag: str) -> str:
    """The pull-request label that approves a guard in CI: ``--allow-breaking`` ->
    ``reconciler:allow-breaking`` (action.yml maps flags to labels the same way)."""
    return "reconciler:" + flag.removeprefix("--")


@dataclass(frozen=True)
class MassRemoval(Guard):
    """The plan deactivates or disables a large share of the managed active models."""

    KIND = AlertKind.MASS_REMOVAL
    FLAG = "--allow-mass-removal"
    deactivated: int
    disabled: int
    managed: int


@dataclass(frozen=True)
class Breaking(Guard):
    """Changes that deactivate or disable models active workflows use (their keys)."""

    KIND = AlertKind.BREAKING
    FLAG = "--allow-breaking"
    models: tuple[str, ...]


ALERT_TYPES: Mapping[AlertKind, type[Alert]] = {
    cls.KIND: cls
    for cls in (
        WorkflowImpact,
        RevertsApplicationEdit,
        UnlinksInactiveModels,
        FallsBackToEnvironment,
        DropsCredential,
        SlugChanged,
        LikelyRename,
        SecretNotCompared,
        SecretsByVersion,
        SecretsUnreadable,
        SecretVersionsUnchecked,
        NotManaged,
        CredentialInUse,
        CatalogEmpty,
        CredentialLinkedByApplication,
        KeyMismatch,
        RegistryBoundElsewhere,
        MassRemoval,
        Breaking,
    )
}


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    """``{"kind", "subject", "data"}``: the record without words (the plan file's form)."""
    return {"kind": alert.kind.value, "subject": alert.subject, "data": alert.data()}


def alert_from_dict(data: Mapping[str, Any]) -> Alert:
    """The inverse of ``alert_to_dict``; ValueError/KeyError/TypeError on anything else."""
    cls = ALERT_TYPES[AlertKind(data["kind"])]
    fields = {f.name for f in dataclasses.fields(cls)} - {"subject"}
    # a field with a default may be missing: the record gained it after the plan was saved
    required = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    } - {"subject"}
    values = dict(data["data"])
    if not required <= set(values) <= fields:
        raise ValueError("alert fields")
    return cls(str(data["subject"]), **{k: _tupled(k, v) for k, v in values.items()})


def _tupled(name: str, value: Any) -> Any:
    if name == "source" and isinstance(value, dict):
        return Location(str(value["path"]), int(value["line"]), int(value["column"]))
    if isinstance(value, dict) and set(value) == {"reason", "code", "detail"}:
        code = value["code"]
        return SecretFailure(
            ReadFailure(value["reason"]), str(value["detail"]), None if code is None else str(code)
        )
    return tuple(_tupled("", v) for v in value) if isinstance(value, list) else value
