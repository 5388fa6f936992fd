"""Two catalogs compared field by field with the plan's diff engine: the first is treated as
the registry, the second as the catalog to apply, so the result reads as promoting the first
to the second. Secrets are compared by reference (where the value comes from), never by
value: the same reference counts as the same value."""

from __future__ import annotations

from dataclasses import replace

from reconciler.diff.diff import DiffOptions, diff
from reconciler.plan.model import Plan
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveCredential, LiveModel, LiveSecret, LiveSettings, LiveState
from reconciler.state.records import CredentialState, SecretSpec, ref_key


def _by_reference(cred: CredentialState) -> CredentialState:
    secrets = {f: SecretSpec(s.ref, fingerprint=ref_key(s.ref)) for f, s in cred.secrets.items()}
    return replace(cred, secrets=secrets)


def as_live(desired: DesiredState) -> LiveState:
    """A catalog's desired state as if a registry held exactly it, every row managed."""
    credentials = {
        name: LiveCredential(
            i,
            cred,
            managed=True,
            secrets={
                f: LiveSecret(s.ref, ref_key(s.ref), None, "", "") for f, s in cred.secrets.items()
            },
        )
        for i, (name, cred) in enumerate(sorted(desired.credentials.items()), 1)
    }
    models = {
        slug: LiveModel(i, model, managed=True, active=True)
        for i, (slug, model) in enumerate(sorted(desired.models.items()), 1)
    }
    settings = None if desired.settings is None else LiveSettings(desired.settings, managed=True)
    return LiveState(credentials, models, settings)


def compare(before: DesiredState, after: DesiredState) -> Plan:
    """What changes going from ``before``'s catalog to ``after``'s, as a plan."""
    target = replace(
        after,
        credentials={n: _by_reference(c) for n, c in after.credentials.items()},
    )
    plan = diff(target, as_live(before), DiffOptions())
    plan.environment = ""  # two catalogs, not one environment's
    plan.base_of_environments = False
    plan.compared = (before.environment, after.environment)
    return plan
