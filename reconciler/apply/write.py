"""Write a plan's changes on an open transaction, in plan order, with bulk statements."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from reconciler.db import tables as t
from reconciler.errors import SecretError
from reconciler.plan.model import Action, Change, Kind, Plan, SecretStatus
from reconciler.secrets.crypto import Keyring, preview, secret_context
from reconciler.secrets.values import SecretValue
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveModel, LiveState
from reconciler.state.read import model_values, models_query
from reconciler.state.records import MODEL_FIELDS, ModelState, SecretSpec, applied_digest, ref_key

_WRITE = (SecretStatus.ADDED, SecretStatus.CHANGED)
# Model rows are built and sent this many at a time: all 100k rows of a large first apply at
# once would hold about 200 MB of parameters (dicts and the driver's tuples) for no speed.
BATCH_ROWS = 5000
# MODEL_FIELDS split once: a model row is built from them 10,000 times in a large apply
_PATHS = tuple(path for path, _column in MODEL_FIELDS)
_COLUMNS = tuple(column for _path, column in MODEL_FIELDS)


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, BATCH_ROWS)):
        yield batch


@dataclass
class Written:
    """What ``write_plan`` wrote, for apply's debug log: counts, never a value."""

    rows: Counter[str] = dataclass_field(default_factory=Counter)  # "model create" -> rows
    secrets_written: int = 0  # encrypted and stored (added or changed)
    secrets_removed: int = 0
    unlinked_models: int = 0  # inactive models unlinked from a deleted credential
    source_versions: int = 0  # refreshed for secrets whose value did not change


class Writer:
    def __init__(
        self,
        conn: sa.Connection,
        desired: DesiredState,
        live: LiveState,
        values: Mapping[str, SecretValue],
        keyring: Keyring | None,
        now: datetime,
    ) -> None:
        self.conn, self.desired, self.live = conn, desired, live
        self.values, self.keyring, self.now = values, keyring, now
        self.credential_ids = {name: c.id for name, c in live.credentials.items()}
        self.written = Written()

    # --- credentials -----------------------------------------------------------------------

    def _credential_row(self, name: str) -> dict[str, Any]:
        cred = self.desired.credentials[name]
        return {
            "name": name,
            "provider": cred.provider,
            "display_name": cred.display_name,
            "description": cred.description,
            "config": dict(cred.config),
            "managed": True,
            "updated_at": self.now,
            "applied_digest": applied_digest(cred.fields()),
            "applied_values": cred.fields(),
        }

    def _write_secret(self, credential: str, field: str, secret: SecretSpec) -> None:
        value = self.values.get(ref_key(secret.ref))
        if value is None or self.keyring is None:
            raise SecretError(f"secret {credential}.{field} was not resolved; nothing written")
        key = self.keyring.current
        cred_id = self.credential_ids[credential]
        secrets = t.credential_secrets
        self.conn.execute(
            sa.delete(secrets).where(secrets.c.credential_id == cred_id, secrets.c.field == field)
        )
        self.conn.execute(
            sa.insert(secrets).values(
                credential_id=cred_id,
                field=field,
                reference=dict(secret.ref),
                key_id=key.key_id,
                ciphertext=key.encrypt(value, secret_context(credential, field)),
                preview=preview(value),
                fingerprint=key.fingerprint(value),
                source_version=secret.source_version,
                updated_at=self.now,
            )
        )
        self.written.secrets_written += 1

    def _secrets(self, change: Change) -> None:
        wanted = self.desired.credentials[change.key].secrets
        for field, fc in change.fields.items():
            if fc.secret in _WRITE:
                self._write_secret(change.key, field, wanted[field])
            elif fc.secret is SecretStatus.REMOVED:
                secrets = t.credential_secrets
                self.conn.execute(
                    sa.delete(secrets).where(
                        secrets.c.credential_id == self.credential_ids[change.key],
                        secrets.c.field == field,
                    )
                )
                self.written.secrets_removed += 1

    def credential(self, change: Change) -> None:
        if change.action is Action.CREATE:
            row = self._credential_row(change.key) | {"created_at": self.now}
            new_id = self.conn.execute(
                sa.insert(t.credentials).values(row).returning(t.credentials.c.id)
            ).scalar_one()
            self.credential_ids[change.key] = new_id
        elif change.action is Action.UPDATE:
            self.conn.execute(
                sa.update(t.credentials)
                .where(t.credentials.c.id == self.credential_ids[change.key])
                .values(self._credential_row(change.key))
            )
        self._secrets(change)

    def delete_credentials(self, names: list[str]) -> None:
        ids = [self.credential_ids[n] for n in names]
        # Managed inactive models keep their row but lose the link to a deleted credential;
        # their digest follows, so drift does not take the unlink for an edit in the registry.
        # Unmanaged rows are the application's: the diff refuses the delete while one links
        # it (and the RESTRICT foreign key would fail the delete if one still did).
        models = t.models
        linked = self.conn.execute(
            # flags as stored, so an application's edit keeps counting as one (drift)
            models_query().where(models.c.credential_id.in_(ids), models.c.managed == sa.true())
        ).all()
        if linked:
            self.conn.execute(
                sa.update(models)
                .where(models.c.id == sa.bindparam("b_id"))
                .values(
                    credential_id=None,
                    updated_at=self.now,
                    applied_digest=sa.bindparam("b_digest"),
                    applied_values=sa.bindparam("b_values"),
                ),
                [
                    {
                        "b_id": row.id,
                        "b_digest": self._unlinked_digest(row),
                        "b_values": _unlinked_values(row.applied_values),
                    }
                    for row in linked
                ],
            )
            self.written.unlinked_models += len(linked)
        self.conn.execute(sa.delete(t.credentials).where(t.credentials.c.id.in_(ids)))

    def _unlinked_digest(self, row: Any) -> str:
        """The digest of a row after losing its credential; a row the application edited
        keeps its old digest, so drift still reports that edit."""
        names = {cred_id: name for name, cred_id in self.credential_ids.items()}
        before = applied_digest(model_values(row, names.get(row.credential_id)), bool(row.active))
        if row.applied_digest is not None and row.applied_digest != before:
            return str(row.applied_digest)
        return applied_digest(model_values(row, None), bool(row.active))

    def refresh_source_versions(self) -> None:
        """Record new source versions of secrets whose value did not change (e.g. sops
        re-encrypted the file), so later no-secrets plans compare against the right version."""
        secrets = t.credential_secrets
        rows = []
        for name, cred in self.desired.credentials.items():
            live = self.live.credentials.get(name)
            if live is None:
                continue
            for field, want in cred.secrets.items():
                have = live.secrets.get(field)
                if (
                    have is not None
                    and want.fingerprint == have.fingerprint
                    and want.source_version is not None
                    and want.source_version != have.source_version
                ):
                    rows.append({"b_id": live.id, "b_field": field, "v": want.source_version})
        if rows:
            self.conn.execute(
                sa.update(secrets)
                .where(
                    secrets.c.credential_id == sa.bindparam("b_id"),
                    secrets.c.field == sa.bindparam("b_field"),
                )
                .values(source_version=sa.bindparam("v")),
                rows,
            )
        self.written.source_versions += len(rows)

    # --- models ----------------------------------------------------------------------------

    def _model_row(self, model: ModelState, **extra: Any) -> dict[str, Any]:
        values = model.values
        row: dict[str, Any] = dict(zip(_COLUMNS, map(values.get, _PATHS), strict=True))
        if row["credential_id"] is not None:
            row["credential_id"] = self.credential_ids[row["credential_id"]]
        row.update(
            slug=model.slug,
            managed=True,
            active=True,
            updated_at=self.now,
            applied_digest=model.digest,
            # the desired values as they are (a dict): no copy, so the 10k-create path stays fast
            applied_values=values,
            **extra,
        )
        return row

    def _live_id(self, change: Change) -> int:
        live_key = change.previous_key if change.action is Action.RENAME else change.key
        assert live_key is not None
        return self.live.models[live_key].id

    def models(self, changes: list[Change]) -> None:
        creates = (
            self._model_row(self.desired.models[c.key], created_at=self.now)
            for c in changes
            if c.action is Action.CREATE
        )
        for batch in _batches(creates):
            self.conn.execute(sa.insert(t.models), batch)
        updates = (
            self._model_row(
                self.desired.models[c.key],
                b_id=self._live_id(c),
                deactivated_at=None,
            )
            for c in changes
            if c.action in (Action.UPDATE, Action.RENAME, Action.REACTIVATE)
        )
        for batch in _batches(updates):
            columns = [k for k in batch[0] if k != "b_id"]
            stmt = (
                sa.update(t.models)
                .where(t.models.c.id == sa.bindparam("b_id"))
                .values({k: sa.bindparam(k) for k in columns})
            )
            self.conn.execute(stmt, batch)
        renames = [
            {"old": c.previous_key, "new": c.key} for c in changes if c.action is Action.RENAME
        ]
        if renames:
            self.conn.execute(
                sa.update(t.workflows)
                .where(t.workflows.c.model_slug == sa.bindparam("old"))
                .values(model_slug=sa.bindparam("new")),
                renames,
            )

    def deactivate(self, slugs: list[str]) -> None:
        rows = []
        for slug in slugs:
            model = self.live.models[slug]
            # an edit made in the application stays visible to drift after the deactivation
            kept = model.applied if model.edited else None
            digest = kept or applied_digest(model.state.values, active=False)
            rows.append({"b_id": model.id, "b_digest": digest, "b_values": _deactivated(model)})
        self.conn.execute(
            sa.update(t.models)
            .where(t.models.c.id == sa.bindparam("b_id"))
            .values(
                active=False,
                deactivated_at=self.now,
                updated_at=self.now,
                applied_digest=sa.bindparam("b_digest"),
                applied_values=sa.bindparam("b_values"),
            ),
            rows,
        )

    # --- settings --------------------------------------------------------------------------

    def settings(self) -> None:
        want = self.desired.settings
        assert want is not None
        row = {
            "default_model_slug": want.default_model,
            "platform_credential_id": self.credential_ids.get(want.platform_credential or ""),
            "managed": True,
            "updated_at": self.now,
            "applied_digest": applied_digest(want.fields()),
            "applied_values": want.fields(),
        }
        if self.live.settings is None:
            self.conn.execute(sa.insert(t.settings).values(id=1, **row))
        else:
            self.conn.execute(sa.update(t.settings).where(t.settings.c.id == 1).values(row))


def _unlinked_values(written: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the reconciler wrote, once it unlinked the row from a deleted credential."""
    return None if written is None else {**written, "credential": None}


def _deactivated(model: LiveModel) -> dict[str, Any] | None:
    """What the reconciler wrote, once it deactivated the row: an application edit to other
    fields stays visible. A row written before migration 0005 gets its values recorded only
    when its digest shows no edit (then its values are what was applied)."""
    if model.written is not None:
        return {**model.written, "active": False}
    if model.edited is False:
        return {**model.state.values, "active": False}
    return None


def write_plan(writer: Writer, plan: Plan) -> Written:
    """Execute every change in the plan's (dependency) order; what was written."""
    by_step: dict[str, list[Change]] = {"models": [], "deactivate": [], "delete": []}
    for change in plan.changes:
        writer.written.rows[f"{change.kind} {change.action}"] += 1
        if change.kind is Kind.CREDENTIAL and change.action is not Action.DELETE:
            writer.credential(change)
        elif change.kind is Kind.MODEL and change.action is Action.DEACTIVATE:
            by_step["deactivate"].append(change)
        elif change.kind is Kind.MODEL:
            by_step["models"].append(change)
        elif change.kind is Kind.CREDENTIAL:
            by_step["delete"].append(change)
    writer.models(by_step["models"])
    if any(c.kind is Kind.SETTINGS for c in plan.changes):
        writer.settings()
    if by_step["deactivate"]:
        writer.deactivate([c.key for c in by_step["deactivate"]])
    if by_step["delete"]:
        writer.delete_credentials([c.key for c in by_step["delete"]])
    writer.refresh_source_versions()
    return writer.written
