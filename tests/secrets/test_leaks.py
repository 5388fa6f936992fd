"""The whole tool, run as a user runs it, with canary secrets from every source: no canary may
appear in stdout, stderr (including --debug logs), plan files, exports or a full database dump.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import sqlalchemy as sa
from secretkit import SopsCatalog, new_identity

from reconciler.secrets.crypto import generate_key_text

REPO = Path(__file__).resolve().parents[2]
CANARY_ENV = "CANARY-env-sk-proj-0123456789abcdef"
CANARY_SOPS = "CANARY-sops-sk-ant-0123456789abcdef"
CANARY_AWS = "CANARY-aws-sk-or-v1-0123456789abcdef"
CANARY_ROTATED = "CANARY-rotated-sk-proj-fedcba9876543210"
CANARIES = (CANARY_ENV, CANARY_SOPS, CANARY_AWS, CANARY_ROTATED)


def _catalog(sops: SopsCatalog, secret_id: str) -> Path:
    root = sops.root
    shutil.copytree(REPO / "catalog", root, dirs_exist_ok=True)
    (root / "credentials" / "prod-anthropic.yaml").write_text(
        "kind: ProviderCredential\nname: prod-anthropic\nprovider: anthropic\n"
        "api_key: {sops: {file: secrets/prod.enc.yaml, key: anthropic.key}}\n"
    )
    (root / "credentials" / "platform-openrouter.yaml").write_text(
        "kind: ProviderCredential\nname: platform-openrouter\nprovider: openrouter\n"
        f"api_key: {{aws_secretsmanager: {{secret_id: {secret_id}, json_key: api_key}}}}\n"
    )
    sops.encrypt("secrets/prod.enc.yaml", f"anthropic:\n  key: {CANARY_SOPS}\nother: x\n")
    return root


class Tool:
    """Runs `python -m reconciler` in a subprocess and keeps everything it printed."""

    def __init__(self, catalog: Path, db_url: str, env: dict[str, str]) -> None:
        self.catalog, self.db_url, self.env = catalog, db_url, env
        self.transcript: list[str] = []

    def __call__(
        self, *args: str, expect: int | None = 0, **env: str
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.catalog.parent,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.transcript += [" ".join(args), done.stdout, done.stderr]
        assert "Traceback" not in done.stderr, done.stderr
        if expect is not None:
            assert done.returncode == expect, (args, done.stdout, done.stderr)
        return done


def _dump(db_url: str) -> str:
    if db_url.startswith("sqlite"):
        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
            return "\n".join(conn.iterdump())
    pg_dump = shutil.which("pg_dump")
    url = sa.make_url(db_url)
    if pg_dump:
        return subprocess.run(
            [
                pg_dump,
                "-h",
                url.host or "127.0.0.1",
                "-U",
                url.username or "postgres",
                url.database or "",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            return "\n".join(
                repr(list(conn.execute(sa.text(f'SELECT * FROM "{t}"')))) for t in tables
            )
    finally:
        engine.dispose()


def test_no_secret_reaches_any_output(
    sops_catalog: SopsCatalog, aws_endpoint: str, db_url: str, tmp_path: Path
) -> None:
    secret_id = f"prod/openrouter-{uuid.uuid4().hex[:8]}"  # moto's state outlives a server
    boto3.client("secretsmanager").create_secret(
        Name=secret_id, SecretString=json.dumps({"api_key": CANARY_AWS})
    )
    catalog = _catalog(sops_catalog, secret_id)
    env = {
        **os.environ,
        "OPENAI_API_KEY": CANARY_ENV,
        "REGISTRY_ENCRYPTION_KEY": generate_key_text(),
        "REGISTRY_DATABASE_URL": db_url,
        "CI": "",
    }
    run = Tool(catalog, db_url, env)
    plan_file = tmp_path / "plan.json"

    for fmt in ("text", "json", "github"):
        run("validate", "--catalog", "catalog", "--format", fmt)
    run("db", "upgrade")
    for fmt in ("text", "markdown", "json"):
        run("plan", "--catalog", "catalog", "--format", fmt, "--out", str(plan_file))
    run("--debug", "apply", str(plan_file), "--catalog", "catalog")
    assert run("plan", "--catalog", "catalog", "--detailed-exitcode").returncode == 0

    # A rotated secret is a sensitive change, shown without its value, then applied.
    rotated = run(
        "plan",
        "--catalog",
        "catalog",
        "--detailed-exitcode",
        expect=2,
        OPENAI_API_KEY=CANARY_ROTATED,
    )
    assert "api_key: (sensitive value changed)" in rotated.stdout
    run("-v", "apply", "--catalog", "catalog", "--auto-approve", OPENAI_API_KEY=CANARY_ROTATED)

    # Without secret access: source versions; the sops value is unchanged.
    no_secrets = run(
        "plan", "--catalog", "catalog", "--no-secrets", "--format", "json", OPENAI_API_KEY=""
    )
    assert json.loads(no_secrets.stdout)["summary"]["update"] == 0

    run("--debug", "drift", "--catalog", "catalog", OPENAI_API_KEY=CANARY_ROTATED)
    run("export", "--out", str(tmp_path / "export"))
    run("models")
    run("models", "--format", "json")

    # Failing cases: wrong age key, tampered sops file, wrong registry key.
    other_key = tmp_path / "other-age.txt"
    other_key.write_text(new_identity()[0] + "\n")
    wrong_age = run(
        "--debug",
        "apply",
        "--catalog",
        "catalog",
        "--auto-approve",
        expect=1,
        SOPS_AGE_KEY_FILE=str(other_key),
        OPENAI_API_KEY=CANARY_ROTATED,
    )
    assert "secrets/prod.enc.yaml" in wrong_age.stderr
    wrong_registry_key = run(
        "apply",
        "--catalog",
        "catalog",
        "--auto-approve",
        expect=1,
        REGISTRY_ENCRYPTION_KEY=generate_key_text(),
        OPENAI_API_KEY=CANARY_ROTATED,
    )
    assert "key id" in wrong_registry_key.stderr
    enc = catalog / "secrets" / "prod.enc.yaml"
    enc.write_text(enc.read_text().replace("other: ENC[", "other: ENC[AES256_GCM,data:AAAA,", 1))
    run(
        "--debug",
        "apply",
        "--catalog",
        "catalog",
        "--auto-approve",
        expect=1,
        OPENAI_API_KEY=CANARY_ROTATED,
    )

    everything = "\n".join(run.transcript)
    everything += plan_file.read_text()
    everything += "".join(p.read_text() for p in (tmp_path / "export").rglob("*.yaml"))
    everything += _dump(db_url)
    for canary in CANARIES:
        assert canary not in everything
    # The registry did store the secrets, as ciphertext with masked previews.
    assert "...cdef" in _dump(db_url) or "...3210" in _dump(db_url)
