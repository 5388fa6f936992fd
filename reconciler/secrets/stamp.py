"""Secret stamping, the step between the desired state and the diff: each secret of the
catalog gets a stamp the diff compares with the registry's.

Secrets are compared without ever putting a value in the plan: by keyed fingerprint when the
values can be read (and REGISTRY_ENCRYPTION_KEY is set), otherwise by source version (the SOPS
ciphertext of that value, the AWS version id), otherwise reported as unknown.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.plan.alerts import (
    Alert,
    SecretNotCompared,
    SecretsByVersion,
    SecretsUnreadable,
    SecretVersionsUnchecked,
)
from reconciler.secrets.crypto import Keyring
from reconciler.secrets.resolve import (
    Resolved,
    describe_ref,
    resolve_values,
    resolve_versions,
    secret_labels,
    unreadable_secrets,
)
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveState
from reconciler.state.records import SecretRefDict, ref_key

log = logging.getLogger(__name__)


def secret_refs(desired: DesiredState) -> dict[str, SecretRefDict]:
    return {ref_key(s.ref): s.ref for c in desired.credentials.values() for s in c.secrets.values()}


@dataclass
class Stamped:
    desired: DesiredState
    resolved: Resolved = field(default_factory=Resolved)
    notes: list[Alert] = field(default_factory=list)
    # references a note of ``notes`` names with why (unreadable, version unchecked)
    reported: frozenset[str] = frozenset()


def stamp_secrets(
    desired: DesiredState,
    catalog_root: Path,
    *,
    read_values: bool,
    keyring: Keyring | None,
    require_values: bool = False,
) -> Stamped:
    """Attach fingerprints (values read) or source versions (no secret access) to every secret.

    With ``require_values`` (apply), any secret that cannot be read is an error."""
    refs = secret_refs(desired)
    if not refs:
        return Stamped(desired)
    notes: list[Alert] = []
    versions = resolve_versions(refs.values(), catalog_root)
    values = Resolved()
    if read_values and keyring is not None:
        values = resolve_values(refs.values(), catalog_root)
    elif read_values:
        notes.append(SecretsByVersion("", "key-not-set"))
    else:
        notes.append(SecretsByVersion("", "no-secrets"))
    if require_values and values.errors:
        raise unreadable_secrets(refs, values.errors, secret_labels(desired, catalog_root))
    reported: set[str] = set()
    if read_values and keyring is not None and values.errors:
        reported.update(values.errors)
        unreadable = tuple((describe_ref(refs[k]), m) for k, m in sorted(values.errors.items()))
        notes.append(SecretsUnreadable("", unreadable))
    # A secret whose value was read (or could not be, said above) is compared by value: its
    # version does not matter. The others are compared by version alone, so a version that
    # could not be looked up (access denied, a typo in the id) is what apply will trip on.
    unchecked_keys = sorted(
        k for k in versions.errors if k not in values.values and k not in values.errors
    )
    if unchecked_keys:
        unchecked = tuple((describe_ref(refs[k]), versions.errors[k]) for k in unchecked_keys)
        notes.append(SecretVersionsUnchecked("", unchecked))
        reported.update(unchecked_keys)

    credentials = {}
    for name, cred in desired.credentials.items():
        secrets = {}
        for field_name, secret in cred.secrets.items():
            key = ref_key(secret.ref)
            value = values.values.get(key)
            secrets[field_name] = dataclasses.replace(
                secret,
                fingerprint=keyring.current.fingerprint(value) if value and keyring else None,
                source_version=versions.versions.get(key),
            )
        credentials[name] = dataclasses.replace(cred, secrets=secrets)
    stamped = dataclasses.replace(desired, credentials=credentials)
    return Stamped(stamped, values, notes, frozenset(reported))


def said_once(notes: list[Alert], stamped: Stamped) -> list[Alert]:
    """The diff's notes without the secrets stamping's notes already name (could not be
    read, version could not be looked up): a secret the diff could not compare for that
    reason is said once, with why, not again as having no source version."""
    said = {
        f"{name}.{field_name}"
        for name, cred in stamped.desired.credentials.items()
        for field_name, secret in cred.secrets.items()
        if ref_key(secret.ref) in stamped.reported
    }
    out: list[Alert] = []
    for note in notes:
        if isinstance(note, SecretNotCompared) and said:
            kept = tuple(s for s in note.secrets if s not in said)
            if not kept:
                continue
            note = SecretNotCompared(note.subject, kept)
        out.append(note)
    return out


def unknown_key_ids(live: LiveState, keyring: Keyring | None) -> list[str]:
    """Key ids the registry's secrets are encrypted under that ``keyring`` does not hold."""
    used = {s.key_id for c in live.credentials.values() for s in c.secrets.values()}
    if not used:
        return []
    known = set() if keyring is None else {k.key_id for k in (keyring.current, *keyring.old)}
    return sorted(used - known)
