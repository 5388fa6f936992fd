"""The words for each typed alert: one table, every kind (what tests used to pin on the diff)."""

from __future__ import annotations

import pytest

from reconciler.diagnostics import Location
from reconciler.plan.alerts import (
    ALERT_TYPES,
    Alert,
    AlertKind,
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
    alert_from_dict,
    alert_to_dict,
)
from reconciler.render.alerts import alert_text

_NOT_SET = SecretFailure(ReadFailure.NOT_SET, "not set")

CASES: list[tuple[Alert, str]] = [
    (WorkflowImpact("model m", ("only",), 1), "referenced by 1 active workflow: only"),
    (
        WorkflowImpact("model m", ("a", "b", "c"), 3),
        "referenced by 3 active workflows: a, b, c",
    ),
    (
        WorkflowImpact("model m", ("a", "b", "c"), 5),
        "referenced by 5 active workflows: a, b, c, ...",
    ),
    (
        WorkflowImpact("model new", ("wf-a", "wf-b"), 2, repoints=True),
        "repoints 2 active workflows: wf-a, wf-b",
    ),
    (
        WorkflowImpact("model new", ("wf-a", "wf-b"), 2, repoints=True, disabling=True),
        "disabling: repoints 2 active workflows: wf-a, wf-b",
    ),
    (
        WorkflowImpact("model m", ("w1", "w2", "w3"), 4, disabling=True),
        "disabling: referenced by 4 active workflows: w1, w2, w3, ...",
    ),
    (
        RevertsApplicationEdit("model a", ("display_name", "context_window")),
        "the application changed display_name, context_window since the last apply; applying "
        "reverts them to the catalog's value",
    ),
    (
        RevertsApplicationEdit("model a", ("enabled",), ("context_window",), catalog=("x",)),
        "the application changed enabled since the last apply; applying reverts it to the "
        "catalog's value; conflict: the application and this change both changed "
        "context_window; applying writes the catalog's value; this change's own: x",
    ),
    (
        RevertsApplicationEdit("model a", ("display_name", "context_window"), whole_row=True),
        "edited in the registry since the last apply; applying reverts: "
        "display_name, context_window (the row was written before the reconciler recorded "
        "values by field, so this lists every field the change rewrites; one apply records "
        "them)",
    ),
    (
        UnlinksInactiveModels("credential c", ("old-user", "user")),
        "unlinks 2 inactive models: old-user, user",
    ),
    (UnlinksInactiveModels("credential c", ("m",)), "unlinks 1 inactive model: m"),
    (
        UnlinksInactiveModels("credential c", tuple(f"u{i}" for i in range(7))),
        "unlinks 7 inactive models: u0, u1, u2, u3, u4, ...",
    ),
    (
        CatalogEmpty("", 15, 1),
        "the catalog declares no models and no credentials, but the registry holds 15 managed "
        "models and 1 managed credential: check that --catalog names the catalog directory (and "
        "the checkout is complete), or add the Model and ProviderCredential documents "
        "('reconciler new model', 'reconciler new credential'); 'reconciler export' writes the "
        "registry as a catalog",
    ),
    (
        FallsBackToEnvironment("credential c", ("a", "b"), ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
        "2 models that used it will have no credential: a, b; at runtime they read the "
        "provider's key from the application's environment (GEMINI_API_KEY or GOOGLE_API_KEY), "
        "and have no key where it is not set",
    ),
    (
        FallsBackToEnvironment("credential c", ("a",), ("OPENAI_API_KEY",)),
        "1 model that used it will have no credential: a; at runtime it reads the provider's "
        "key from the application's environment (OPENAI_API_KEY), and has no key where it is "
        "not set",
    ),
    (
        DropsCredential("model a", "prod-openai", ("a",), ("OPENAI_API_KEY",)),
        "no longer uses credential prod-openai: at runtime it reads the provider's key from "
        "the application's environment (OPENAI_API_KEY), and has no key where it is not set",
    ),
    (
        DropsCredential("model vllm", "local", ("vllm",), ()),
        "no longer uses credential local: at runtime it reads the provider's key from the "
        "application's environment (no variable (this provider has none)), and has no key "
        "where it is not set",
    ),
    (
        DropsCredential("settings", "openrouter", ("p1", "p2"), ("OPENROUTER_API_KEY",), True),
        "platform_credential openrouter is dropped: 2 platform models that used it will have "
        "no credential: p1, p2; at runtime they read the provider's key from the application's "
        "environment (OPENROUTER_API_KEY), and have no key where it is not set",
    ),
    (
        SlugChanged("model gpt-4o", "gpt-4o", "gpt-4o-omni"),
        "the slug changes to 'gpt-4o-omni' (its display_name changed): API clients that call "
        "'gpt-4o' break; add `previous_slugs: [gpt-4o]` to model 'gpt-4o-omni' to keep its "
        "row and repoint its workflows, or pin `slug: gpt-4o`",
    ),
    (
        LikelyRename("model new-slug", "old-slug", "new-slug"),
        "model 'new-slug' looks like a rename of 'old-slug': add `previous_slugs: [old-slug]` "
        "to keep its row and repoint its workflows, or pin `slug: old-slug`",
    ),
    (
        SecretNotCompared("", ("a.api_key", "b.api_key")),
        "could not tell whether these secrets changed (their values were not read and they "
        "have no source version): a.api_key, b.api_key; apply reads them",
    ),
    (
        SecretsByVersion("", "key-not-set"),
        "REGISTRY_ENCRYPTION_KEY is not set: secrets compared by source version, not value",
    ),
    (
        SecretsByVersion("", "no-secrets"),
        "secrets compared by source version (--no-secrets); values were not read",
    ),
    (
        SecretsByVersion("", "key-mismatch"),
        "REGISTRY_ENCRYPTION_KEY does not match the key the registry's secrets are encrypted "
        "with; secrets compared by source version",
    ),
    (
        SecretsUnreadable(
            "",
            (
                ("env A", _NOT_SET),
                ("sops s.yaml#k", SecretFailure(ReadFailure.NO_KEY, "no key")),
            ),
        ),
        "some secrets could not be read here (apply must be able to read them; until then they "
        "are compared by source version where they have one): env A (not set); "
        "sops s.yaml#k (no key)",
    ),
    (
        SecretVersionsUnchecked(
            "",
            (
                (
                    "aws_secretsmanager p/k",
                    SecretFailure(
                        ReadFailure.ACCESS_DENIED,
                        "AWS secret p/k: AccessDeniedException",
                        "AccessDeniedException",
                    ),
                ),
            ),
        ),
        "the source version of some secrets could not be checked (their values were not read, "
        "so they are not compared; apply reads them and fails the same way unless this is "
        "fixed): aws_secretsmanager p/k (AWS secret p/k: AccessDeniedException)",
    ),
    (
        NotManaged("model a", "model", "a"),
        "model 'a' exists in the registry but was not created by the reconciler; pass --adopt "
        "to take it over, or rename it in the catalog",
    ),
    (
        NotManaged("model b", "model", "b", Location("catalog/environments/staging/m.yaml", 3, 7)),
        "catalog/environments/staging/m.yaml:3:7: model 'b' exists in the registry but was not "
        "created by the reconciler; pass --adopt to take it over, or rename it in the catalog",
    ),
    (
        NotManaged("settings", "settings", "settings"),
        "the registry's settings were not set by the reconciler; pass --adopt to take them "
        "over, or remove the Settings document from the catalog",
    ),
    (
        CredentialInUse("credential c", "c", ("keeper",), settings=True),
        "credential 'c' left the catalog but is still used by model keeper, settings; "
        "repoint or remove those first",
    ),
    (
        CredentialLinkedByApplication("credential c", "c", ("app", "app-old"), ("app-old",)),
        "credential 'c' left the catalog but models the reconciler does not manage still link "
        "it: model app, model app-old (inactive); repoint or delete those models in the "
        "application, or keep the credential in the catalog",
    ),
    (
        KeyMismatch("", ("k1", "k2")),
        "the registry's secrets are encrypted under key id(s) k1, k2, which "
        "REGISTRY_ENCRYPTION_KEY does not match: set the registry's key; to change keys use "
        "'reconciler rotate-key' with the old key in REGISTRY_ENCRYPTION_KEYS_OLD",
    ),
    (
        RegistryBoundElsewhere("", "production", "staging"),
        "this registry is bound to environment 'production', but the plan is for environment "
        "'staging': apply refuses it. Plan against the registry of environment 'staging' (check "
        "--db / REGISTRY_DATABASE_URL; in CI, the URL secret the job reads); or, to move this "
        "registry to environment 'staging' on purpose, apply with --rebind-environment",
    ),
    (
        RegistryBoundElsewhere("", "", "production"),
        "this registry is bound to the base catalog, but the plan is for environment "
        "'production': apply refuses it. Plan against the registry of environment 'production' "
        "(check --db / REGISTRY_DATABASE_URL; in CI, the URL secret the job reads); or, to move "
        "this registry to environment 'production' on purpose, apply with --rebind-environment",
    ),
    (
        RegistryBoundElsewhere("", "staging", ""),
        "this registry is bound to environment 'staging', but the plan is for the base catalog: "
        "apply refuses it. Plan against the base catalog's registry (check --db / "
        "REGISTRY_DATABASE_URL; in CI, the URL secret the job reads); or, to move this "
        "registry to the base catalog on purpose, apply with --rebind-environment",
    ),
    (
        MassRemoval("", 6, 0, 20),
        "the plan deactivates 6 of 20 managed models (30%); is the catalog checkout complete?",
    ),
    (
        MassRemoval("", 1, 0, 1),
        "the plan deactivates 1 of 1 managed model (all); is the catalog checkout complete?",
    ),
    (
        MassRemoval("", 0, 14, 15),
        "the plan disables 14 of 15 managed models (93%); is the catalog checkout complete?",
    ),
    (
        MassRemoval("", 3, 3, 6),
        "the plan deactivates 3 and disables 3 of 6 managed models (all); "
        "is the catalog checkout complete?",
    ),
    (
        Breaking("", ("b0",)),
        "1 change deactivates or disables models that active workflows use: b0",
    ),
    (
        Breaking("", tuple(f"b{i}" for i in range(7))),
        "7 changes deactivate or disable models that active workflows use: b0, b1, b2, b3, b4, ...",
    ),
]


@pytest.mark.parametrize(("alert", "text"), CASES, ids=lambda v: getattr(v, "kind", ""))
def test_alert_words(alert: Alert, text: str) -> None:
    assert alert_text(alert) == text


def test_every_kind_has_words_and_a_case() -> None:
    assert set(ALERT_TYPES) == set(AlertKind)
    assert {alert.kind for alert, _text in CASES} == set(AlertKind)


@pytest.mark.parametrize(("alert", "text"), CASES, ids=lambda v: getattr(v, "kind", ""))
def test_records_round_trip_without_words(alert: Alert, text: str) -> None:
    data = alert_to_dict(alert)
    assert text not in str(data)
    assert alert_from_dict(data) == alert


def test_a_record_with_other_fields_is_refused() -> None:
    data = alert_to_dict(Breaking("", ("a",)))
    with pytest.raises(ValueError, match="alert fields"):
        alert_from_dict({**data, "data": {"models": ["a"], "extra": 1}})


def test_a_pull_request_adopts_by_its_label() -> None:
    """A PR comment's reader adds a label; action.yml turns it into --adopt."""
    alert = NotManaged("model b", "model", "b", Location("catalog/models/b.yaml", 2, 15))
    assert alert_text(alert, approve="label") == (
        "catalog/models/b.yaml:2:15: model 'b' exists in the registry but was not created by "
        "the reconciler; add the label `reconciler:adopt` to take it over, or rename it in the "
        "catalog"
    )
    settings = NotManaged("settings", "settings", "settings")
    assert "add the label `reconciler:adopt` to take them over" in alert_text(
        settings, approve="label"
    )


def test_a_plan_saved_before_sources_were_kept_loads() -> None:
    data = alert_to_dict(NotManaged("model b", "model", "b"))
    del data["data"]["source"]
    assert alert_from_dict(data) == NotManaged("model b", "model", "b")
    with pytest.raises(ValueError, match="alert fields"):
        alert_from_dict({**data, "data": {"object_kind": "model"}})
