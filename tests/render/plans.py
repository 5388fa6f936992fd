"""Sample plans shared by the plan renderer tests, and the golden-file check.

Run the tests with UPDATE_GOLDENS=1 to rewrite tests/render/golden/ from the current output;
review the diff of the golden files as a reader of the rendered plan would.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.diagnostics import Location
from reconciler.plan.alerts import (
    Breaking,
    CredentialInUse,
    CredentialLinkedByApplication,
    DropsCredential,
    FallsBackToEnvironment,
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
    UnlinksInactiveModels,
    WorkflowImpact,
)
from reconciler.plan.fixes import PreviousSlugs
from reconciler.plan.model import (
    Action,
    Change,
    Database,
    FieldChange,
    Kind,
    Plan,
    RefChange,
    SecretStatus,
    Target,
)

GOLDEN = Path(__file__).resolve().parent / "golden"
CANARY = "sk-CANARY-must-never-render-7f3a"

ADDED = SecretStatus.ADDED


def _new_ref(after: str) -> RefChange:
    """The reference of a new secret, as the diff gives it: no previous reference."""
    return RefChange("", after, ADDED)


def _created(**values: object) -> dict[str, FieldChange]:
    return {path.replace("__", "."): FieldChange(None, value) for path, value in values.items()}


def empty_plan() -> Plan:
    return Plan(
        notes=[SecretsByVersion("", "no-secrets")],
        catalog_digest="sha256:0f1e2d3c4b5a",
        revision=42,
    )


def full_plan() -> Plan:
    """Every action and field shape, in the order the diff engine emits them."""
    changes = [
        Change(
            Action.CREATE,
            Kind.CREDENTIAL,
            "prod-anthropic",
            {
                **_created(provider="anthropic", description="Production Anthropic key"),
                "api_key": FieldChange(None, None, ADDED, _new_ref("env ANTHROPIC_API_KEY")),
            },
        ),
        Change(
            Action.CREATE,
            Kind.CREDENTIAL,
            "bedrock-east",
            {
                **_created(provider="bedrock", region="us-east-1"),
                "access_key_id": FieldChange(
                    None, None, ADDED, _new_ref("aws_secretsmanager staging/bedrock#key_id")
                ),
                "secret_access_key": FieldChange(
                    None, None, ADDED, _new_ref("aws_secretsmanager staging/bedrock#secret")
                ),
            },
        ),
        Change(
            Action.UPDATE,
            Kind.CREDENTIAL,
            "prod-openai",
            {
                "description": FieldChange("Production key", "Production key (rotated 2025-06)"),
                "api_key": FieldChange(None, None, SecretStatus.CHANGED),
            },
        ),
        Change(
            Action.UPDATE,
            Kind.CREDENTIAL,
            "local-vllm",
            {
                "base_url": FieldChange("http://vllm:8000/v1", "https://vllm.internal/v1"),
                "api_key": FieldChange(None, None, SecretStatus.REMOVED),
            },
        ),
        Change(
            Action.UPDATE,
            Kind.CREDENTIAL,
            "team-openai",
            {
                "api_key": FieldChange(
                    None,
                    None,
                    SecretStatus.CHANGED,
                    RefChange(
                        "env OPENAI_API_KEY", "env OPENAI_API_KEY_V2", SecretStatus.UNCHANGED
                    ),
                )
            },
        ),
        Change(
            Action.UPDATE,
            Kind.CREDENTIAL,
            "openrouter",
            {"api_key": FieldChange(None, None, SecretStatus.UNKNOWN)},
        ),
        Change(
            Action.CREATE,
            Kind.MODEL,
            "gpt-5-5",
            _created(
                display_name="GPT-5.5",
                deployment="platform",
                provider="openai",
                model_id="openai/gpt-5.5",
                category="premium",
                context_window=400000,
                capabilities__json_mode=True,
                cost__input_per_token=1.25e-06,
                cost__output_per_token=1e-05,
                enabled=True,
            ),
        ),
        Change(
            Action.CREATE,
            Kind.MODEL,
            "claude-sonnet-4",
            _created(
                display_name="Claude Sonnet 4",
                deployment="custom",
                provider="anthropic",
                model_id="claude-sonnet-4-20250514",
                credential="prod-anthropic",
                category="standard",
                context_window=200000,
                enabled=False,
            ),
        ),
        Change(
            Action.UPDATE,
            Kind.MODEL,
            "gpt-4o",
            {
                "description": FieldChange(
                    "Fast | cheap", "Fast | cheap\nGood for *triage* <b>and</b> `routing`"
                ),
                "release_date": FieldChange(None, "2024-05-13"),
                "context_window": FieldChange(128000, 200000),
                "capabilities.vision": FieldChange(False, True),
                "capabilities.reasoning": FieldChange(None, "effort"),
                "cost.input_per_token": FieldChange(5e-06, 2.5e-06),
                "cost.output_per_token": FieldChange(1.5e-05, 1e-05),
            },
            warnings=(RevertsApplicationEdit("model gpt-4o", ("context_window",)),),
        ),
        Change(
            Action.UPDATE,
            Kind.MODEL,
            "llama-3-70b",
            {"category": FieldChange(None, "budget"), "display_name": FieldChange("", "true")},
            adopt=True,
        ),
        Change(
            Action.UPDATE,
            Kind.MODEL,
            "mixtral-8x7b",
            {"enabled": FieldChange(True, False)},
            warnings=(
                WorkflowImpact("model mixtral-8x7b", ("nightly-digest",), 1, disabling=True),
            ),
            breaking=True,
        ),
        Change(
            Action.RENAME,
            Kind.MODEL,
            "claude-sonnet-3-5",
            {"display_name": FieldChange("Claude 3.5 Sonnet", "Claude Sonnet 3.5")},
            warnings=(
                WorkflowImpact(
                    "model claude-sonnet-3-5", ("support-bot", "triage"), 2, repoints=True
                ),
            ),
            previous_key="claude-3-5-sonnet",
            litellm_alias=True,
        ),
        Change(
            Action.REACTIVATE,
            Kind.MODEL,
            "mistral-large",
            {"cost.input_per_token": FieldChange(None, 2e-06)},
        ),
        Change(
            Action.UPDATE,
            Kind.SETTINGS,
            "settings",
            {"default_model": FieldChange("gpt-4o", "gpt-5-5")},
        ),
        Change(
            Action.DEACTIVATE,
            Kind.MODEL,
            "gpt-4",
            warnings=(WorkflowImpact("model gpt-4", ("support-bot", "triage", "summarizer"), 3),),
            breaking=True,
        ),
        Change(Action.DEACTIVATE, Kind.MODEL, "text-davinci-003"),
        Change(
            Action.DELETE,
            Kind.CREDENTIAL,
            "old-together",
            warnings=(
                UnlinksInactiveModels("credential old-together", ("mixtral-8x22b", "qwen-72b")),
            ),
        ),
    ]
    return Plan(
        changes=changes,
        guards=[Breaking("", ("mixtral-8x7b", "gpt-4"))],
        notes=[SecretsByVersion("", "no-secrets")],
        catalog_digest="sha256:9c8b7a6f5e4d",
        revision=42,
    )


def blocked_plan() -> Plan:
    """A plan with errors, a guard, an adopted settings row and hostile text in messages."""
    return Plan(
        changes=[
            Change(
                Action.UPDATE,
                Kind.SETTINGS,
                "settings",
                {"platform_credential": FieldChange(None, "openrouter")},
                adopt=True,
            ),
            Change(Action.UPDATE, Kind.MODEL, "legacy-gpt", adopt=True),
            *(Change(Action.DEACTIVATE, Kind.MODEL, f"model-{n}") for n in range(1, 7)),
        ],
        errors=[
            CredentialInUse("credential prod-groq", "prod-groq", ("fast-llama",)),
            # hostile text in a name: a newline and a table pipe
            NotManaged("model phi-3", "model", "phi-3\nrerun | or remove it"),
            # an object from an environment's overlay: the error points at its document
            NotManaged(
                "model gpt-4-1-mini",
                "model",
                "gpt-4-1-mini",
                Location("catalog/environments/staging/models.yaml", 12, 7),
            ),
        ],
        guards=[MassRemoval("", 6, 0, 8)],
        catalog_digest="sha256:1a2b3c4d5e6f",
        revision=7,
    )


def canary_plan() -> Plan:
    """Secrets that accidentally carry values: no renderer may show them."""
    return Plan(
        changes=[
            Change(
                Action.CREATE,
                Kind.CREDENTIAL,
                "leaky",
                {
                    "provider": FieldChange(None, "openai"),
                    "api_key": FieldChange(None, CANARY, ADDED),
                },
            ),
            Change(
                Action.UPDATE,
                Kind.CREDENTIAL,
                "leaky-update",
                {
                    "api_key": FieldChange(CANARY, CANARY + "-new", SecretStatus.CHANGED),
                    "secret_access_key": FieldChange(CANARY, None, SecretStatus.REMOVED),
                    "access_key_id": FieldChange(None, CANARY, SecretStatus.UNKNOWN),
                },
            ),
            Change(
                Action.RENAME,
                Kind.MODEL,
                "renamed",
                {"x.api_key": FieldChange(CANARY, CANARY, SecretStatus.UNCHANGED)},
                previous_key="old",
            ),
            # unmarked, but named like a secret field: masked anyway
            Change(
                Action.UPDATE,
                Kind.CREDENTIAL,
                "unmarked",
                {"api_key": FieldChange(CANARY, CANARY + "-2")},
            ),
        ]
    )


def attribution_plan() -> Plan:
    """An application edit and a PR change on the same row: the revert names only the
    application's field (context_window), the conflict its own (max_output_tokens), and the
    price is the PR's. A row written before per-field values lists every rewritten field."""
    return Plan(
        changes=[
            Change(
                Action.UPDATE,
                Kind.MODEL,
                "gpt-4o",
                {
                    "context_window": FieldChange(64000, 128000),
                    "max_output_tokens": FieldChange(8000, 16384),
                    "cost.output_per_token": FieldChange(1e-05, 8e-06),
                },
                (
                    RevertsApplicationEdit(
                        "model gpt-4o",
                        ("context_window",),
                        ("max_output_tokens",),
                        catalog=("cost.output_per_token",),
                    ),
                ),
            ),
            Change(
                Action.UPDATE,
                Kind.MODEL,
                "legacy-row",
                {
                    "context_window": FieldChange(4096, 8192),
                    "description": FieldChange(None, "PR text"),
                },
                (
                    RevertsApplicationEdit(
                        "model legacy-row", ("context_window", "description"), whole_row=True
                    ),
                ),
            ),
        ],
        catalog_digest="sha256:5e6f7a8b9c0d",
        revision=9,
    )


HOSTILE = "ping @octocat #12 :fire: https://evil.example <b>x</b>"


def hostile_plan() -> Plan:
    """Names read from the registry that try to notify, link, render or inject markup."""
    return Plan(
        changes=[
            Change(
                Action.DEACTIVATE,
                Kind.MODEL,
                "gpt-3",
                warnings=(WorkflowImpact("model gpt-3", (HOSTILE, "nightly `report` | x"), 2),),
                breaking=True,
            ),
        ],
        errors=[
            CredentialLinkedByApplication(
                "credential old", "old", ("@admin-model #7", "www.evil.example"), ()
            ),
        ],
        guards=[Breaking("", ("gpt-3",))],
        catalog_digest="sha256:7a8b9c0d1e2f",
        revision=3,
    )


COMMIT = "3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a"


def production_plan() -> Plan:
    """A CI plan for an environment: its target in the header, a breaking deactivation whose
    replacement the plan creates (the fix: previous_slugs), a breaking disable without one,
    and the notes every CI plan carries (said once, in the footer)."""
    created = _created(
        display_name="GPT-4 Turbo (2024)",
        provider="openai",
        model_id="gpt-4-turbo",
        category="premium",
    )
    return Plan(
        changes=[
            Change(Action.CREATE, Kind.MODEL, "gpt-4-turbo-2024", created),
            # a new reference whose value a CI plan does not read
            Change(
                Action.UPDATE,
                Kind.CREDENTIAL,
                "prod-anthropic",
                {
                    "api_key": FieldChange(
                        None,
                        None,
                        SecretStatus.CHANGED,
                        RefChange(
                            "env ANTHROPIC_API_KEY",
                            "env ANTHROPIC_API_KEY_V2",
                            SecretStatus.UNKNOWN,
                        ),
                    )
                },
            ),
            Change(
                Action.UPDATE,
                Kind.MODEL,
                "mixtral-8x7b",
                {"enabled": FieldChange(True, False)},
                warnings=(
                    WorkflowImpact("model mixtral-8x7b", ("nightly-digest",), 1, disabling=True),
                ),
                breaking=True,
            ),
            Change(
                Action.DEACTIVATE,
                Kind.MODEL,
                "gpt-4-turbo",
                warnings=(WorkflowImpact("model gpt-4-turbo", ("support-bot", "triage"), 2),),
                breaking=True,
                fixes=(PreviousSlugs("gpt-4-turbo-2024", "gpt-4-turbo", "same-model-id"),),
            ),
        ],
        guards=[Breaking("", ("mixtral-8x7b", "gpt-4-turbo"))],
        notes=[
            SecretsByVersion("", "no-secrets"),
            SecretNotCompared("", ("prod-openai.api_key",)),
            # said by the fix already: not repeated as a note
            LikelyRename("model gpt-4-turbo-2024", "gpt-4-turbo", "gpt-4-turbo-2024"),
        ],
        catalog_digest="sha256:2c4e6a8b0d1f",
        environment="production",
        revision=118,
        target=Target(
            Database("postgresql", "registry.internal", 5432, "llm_registry"),
            COMMIT,
            version="1.4.0",
        ),
    )


def bound_elsewhere_plan() -> Plan:
    """Staging's catalog planned against production's registry (a PR review whose staging URL
    is missing fell back to the default): the binding is the first error, and the status
    table's validation row says what to do."""
    return Plan(
        changes=[
            Change(
                Action.UPDATE,
                Kind.MODEL,
                "gpt-4o",
                {"context_window": FieldChange(128000, 2000)},
            ),
        ],
        errors=[
            RegistryBoundElsewhere("", "production", "staging"),
            NotManaged("model phi-3", "model", "phi-3"),
        ],
        notes=[SecretsByVersion("", "no-secrets")],
        catalog_digest="sha256:5e6f7a8b9c0d",
        environment="staging",
        revision=118,
        target=Target(
            Database("postgresql", "registry.internal", 5432, "llm_registry"),
            COMMIT,
            version="1.4.0",
        ),
    )


def fallback_plan() -> Plan:
    """Models left to their provider's key in the application's environment: a deleted
    credential's model, a model whose catalog entry dropped its credential, and the platform
    models of a dropped platform_credential (the secrets row counts them all)."""
    return Plan(
        changes=[
            Change(
                Action.UPDATE,
                Kind.MODEL,
                "claude-haiku",
                {"credential": FieldChange("team-anthropic", None)},
            ),
            Change(
                Action.UPDATE,
                Kind.MODEL,
                "gpt-4o",
                {"credential": FieldChange("prod-openai", None)},
                warnings=(
                    DropsCredential(
                        "model gpt-4o", "prod-openai", ("gpt-4o",), ("OPENAI_API_KEY",)
                    ),
                ),
            ),
            Change(
                Action.CREATE,
                Kind.MODEL,
                "mistral-small",
                _created(display_name="Mistral Small", provider="mistralai", model_id="m/s"),
            ),
            Change(
                Action.UPDATE,
                Kind.SETTINGS,
                "settings",
                {"platform_credential": FieldChange("openrouter", None)},
                warnings=(
                    DropsCredential(
                        "settings",
                        "openrouter",
                        ("claude-opus", "gpt-5-5"),
                        ("OPENROUTER_API_KEY",),
                        platform=True,
                    ),
                ),
            ),
            Change(
                Action.DELETE,
                Kind.CREDENTIAL,
                "team-anthropic",
                warnings=(
                    FallsBackToEnvironment(
                        "credential team-anthropic", ("claude-haiku",), ("ANTHROPIC_API_KEY",)
                    ),
                ),
            ),
        ],
        notes=[SecretsByVersion("", "no-secrets")],
        catalog_digest="sha256:3d4e5f6a7b8c",
        revision=12,
    )


def said_elsewhere_plan() -> Plan:
    """Every note is said elsewhere: the likely rename by the breaking change's fix, the
    unreadable secret by the secrets check; nothing is left for a notes block. A description
    written as a YAML block scalar ends with a line break."""
    return Plan(
        changes=[
            Change(
                Action.CREATE,
                Kind.CREDENTIAL,
                "prod-openai",
                {
                    **_created(provider="openai"),
                    "api_key": FieldChange(None, None, ADDED, _new_ref("env OPENAI_API_KEY")),
                },
            ),
            Change(
                Action.CREATE,
                Kind.MODEL,
                "gpt-4o-2024",
                _created(provider="openai", model_id="gpt-4o", credential="prod-openai"),
            ),
            Change(
                Action.UPDATE,
                Kind.MODEL,
                "claude-sonnet",
                {
                    "description": FieldChange(
                        "Balanced model.\n", "Balanced model.\nGood for *drafts*.\n"
                    )
                },
            ),
            Change(
                Action.DEACTIVATE,
                Kind.MODEL,
                "gpt-4o",
                warnings=(WorkflowImpact("model gpt-4o", ("support-bot",), 1),),
                breaking=True,
                fixes=(PreviousSlugs("gpt-4o-2024", "gpt-4o", "same-model-id"),),
            ),
        ],
        guards=[Breaking("", ("gpt-4o",))],
        notes=[
            SecretsUnreadable(
                "",
                (
                    (
                        "env OPENAI_API_KEY",
                        SecretFailure(ReadFailure.NOT_SET, "environment variable is not set"),
                    ),
                ),
            ),
            LikelyRename("model gpt-4o-2024", "gpt-4o", "gpt-4o-2024"),
        ],
        catalog_digest="sha256:7a8b9c0d1e2f",
        environment="production",
        revision=7,
        target=Target(Database("sqlite", name="/srv/prod.db"), None, version="1.4.0"),
    )


def unchecked_plan() -> Plan:
    """A pull request's plan (``--no-secrets``) whose secret versions could not all be looked
    up: AWS refused DescribeSecret on one secret (the IAM policy), another secret id does not
    exist, and a changed reference names a SOPS file that is not there. The failures' details
    name an error code, a region and a path: only a terminal shows them."""
    return Plan(
        changes=[
            Change(
                Action.UPDATE,
                Kind.CREDENTIAL,
                "team-anthropic",
                {
                    "api_key": FieldChange(
                        None,
                        None,
                        SecretStatus.CHANGED,
                        RefChange(
                            "sops secrets/old.enc.yaml#anthropic",
                            "sops secrets/team.enc.yaml#anthropic",
                            SecretStatus.UNKNOWN,
                        ),
                    )
                },
            ),
        ],
        notes=[
            SecretsByVersion("", "no-secrets"),
            SecretVersionsUnchecked(
                "",
                (
                    (
                        "aws_secretsmanager prod/openai",
                        SecretFailure(
                            ReadFailure.ACCESS_DENIED,
                            "AWS secret prod/openai: AccessDeniedException",
                            "AccessDeniedException",
                        ),
                    ),
                    (
                        "aws_secretsmanager prod/mistrall",
                        SecretFailure(
                            ReadFailure.NOT_FOUND,
                            "AWS secret prod/mistrall: ResourceNotFoundException",
                            "ResourceNotFoundException",
                        ),
                    ),
                    (
                        "sops secrets/team.enc.yaml#anthropic",
                        SecretFailure(
                            ReadFailure.NOT_FOUND,
                            "SOPS file 'secrets/team.enc.yaml' does not exist in the catalog",
                        ),
                    ),
                ),
            ),
            # an environment variable's secret has no source version; the two AWS secrets,
            # whose version lookups failed, are not listed again here (as the pipeline does)
            SecretNotCompared("", ("ci-local.api_key",)),
        ],
        catalog_digest="sha256:5c6d7e8f9a0b",
        revision=31,
    )


PLANS = {
    "hostile": hostile_plan,
    "empty": empty_plan,
    "full": full_plan,
    "blocked": blocked_plan,
    "attribution": attribution_plan,
    "production": production_plan,
    "bound-elsewhere": bound_elsewhere_plan,
    "said-elsewhere": said_elsewhere_plan,
    "fallback": fallback_plan,
    "unchecked": unchecked_plan,
}


def check_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with golden/<name>; UPDATE_GOLDENS=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDENS=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file; UPDATE_GOLDENS=1 rewrites it"


def many_creates_plan(creates: int = 1500) -> Plan:
    """1,500 routine creates around a breaking disable, a price cut and a rename: the comment
    keeps the risky rows with their values and names the creates."""
    changes = [
        Change(
            Action.CREATE,
            Kind.MODEL,
            f"m-{n:04d}",
            _created(
                display_name=f"Model {n}",
                deployment="platform",
                provider="openrouter",
                model_id=f"vendor/model-{n:04d}",
                category="standard",
                context_window=128000,
                enabled=True,
            ),
        )
        for n in range(creates)
    ]
    changes.insert(
        700,
        Change(
            Action.UPDATE,
            Kind.MODEL,
            "gpt-4o",
            {
                "cost.input_per_token": FieldChange(2e-06, 1.5e-06),
                "cost.output_per_token": FieldChange(8e-06, 6e-06),
                "context_window": FieldChange(128000, 200000),
            },
        ),
    )
    changes.append(
        Change(
            Action.UPDATE,
            Kind.MODEL,
            "mixtral-8x7b",
            {"enabled": FieldChange(True, False)},
            warnings=(
                WorkflowImpact("model mixtral-8x7b", ("nightly-digest",), 1, disabling=True),
            ),
            breaking=True,
        )
    )
    return Plan(
        changes=changes,
        guards=[Breaking("", ("mixtral-8x7b",))],
        catalog_digest="sha256:3c4d5e6f7a8b",
        revision=12,
    )


def split_plan() -> Plan:
    """A retirement too long for one comment even with creates by name: it splits into parts."""
    changes = [
        Change(
            Action.DEACTIVATE,
            Kind.MODEL,
            f"retired-vendor-model-with-a-long-slug-{n:04d}",
            warnings=(WorkflowImpact(f"model retired-{n}", (f"batch-{n}",), 1),)
            if n % 100 == 0
            else (),
            breaking=n % 100 == 0,
        )
        for n in range(900)
    ]
    changes.insert(
        0,
        Change(
            Action.UPDATE, Kind.MODEL, "gpt-4o", {"cost.input_per_token": FieldChange(2e-06, 3e-06)}
        ),
    )
    # first by risk, its row in part 1; its field table after every row, in part 2
    changes.insert(
        0,
        Change(
            Action.UPDATE,
            Kind.MODEL,
            "mixtral-8x7b",
            {
                "enabled": FieldChange(True, False),
                "context_window": FieldChange(32768, 65536),
                "max_output_tokens": FieldChange(4096, 8192),
                "category": FieldChange("standard", "budget"),
                "display_name": FieldChange("Mixtral 8x7B", "Mixtral 8x7B (legacy)"),
            },
            warnings=(WorkflowImpact("model mixtral-8x7b", ("chat",), 1, disabling=True),),
            breaking=True,
        ),
    )
    changes += [
        Change(
            Action.CREATE,
            Kind.MODEL,
            f"new-{n:03d}",
            _created(provider="openai", model_id=f"gpt-x-{n}"),
        )
        for n in range(40)
    ]
    return Plan(
        changes=changes,
        environment="prod",
        guards=[Breaking("", tuple(c.key for c in changes if c.breaking))],
        catalog_digest="sha256:8b9c0d1e2f3a",
        revision=30,
    )
