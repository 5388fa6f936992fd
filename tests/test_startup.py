"""Start-up stays light: each everyday command imports only what its path needs.

Each command runs in a fresh interpreter (another test may already have imported litellm into
this one) and reports the top-level packages it imported. ``test-connection`` is run up to the
point before its first call (a slug the catalog lacks; a model whose key is unset), where
litellm must not be loaded yet, nor the database layer: ``--catalog`` needs no registry.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.secrets.crypto import generate_key_text

REPO = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
from click.testing import CliRunner
from reconciler.cli import main

args = json.loads(sys.argv[1])
result = CliRunner().invoke(main, args)
print("EXIT=" + str(result.exit_code))
print("OUTPUT=" + json.dumps(result.output))
print("MODULES=" + ",".join(sorted(sys.modules)))
"""

# imported only for live calls (litellm), AWS secret sources (boto3), explaining a rejected
# document (jsonschema), database commands (sqlalchemy, alembic), secret encryption
# (cryptography)
LITELLM = {"litellm", "openai", "httpx", "tiktoken"}
AWS = {"boto3", "botocore"}
DB = {"sqlalchemy", "alembic", "psycopg"}
NEVER = LITELLM | AWS | {"jsonschema", "alembic", "rich"}
# Our own modules a path must not load (a module and its submodules): the connection test's
# (ssl errors, the thread pool), the saved plan's writer, apply and the runtime client.
CONNECTION_TEST = {"reconciler.providers.connection", "reconciler.providers.targets"}
NOT_PLANNING = {"reconciler.apply", "reconciler.runtime", "reconciler.db.migrations"}
# AES-GCM: only encrypting or decrypting a secret needs it (a key's derivation does not)
CIPHER = {"cryptography.hazmat.primitives.ciphers"}

PATHS = {
    "help": (["--help"], NEVER | DB | {"pydantic", "cryptography", "yaml"}),
    "validate": (["validate"], NEVER | DB | {"cryptography"} | CONNECTION_TEST),
    # without a key (the probe's environment has none) plan loads no cryptography at all
    "plan": (
        ["plan", "--no-secrets"],
        NEVER | {"cryptography", "reconciler.plan.planfile"} | CONNECTION_TEST | NOT_PLANNING,
    ),
    # with one it derives the key (fingerprints are HMAC) but decrypts nothing
    "plan-with-key": (["plan"], NEVER | CIPHER | CONNECTION_TEST | NOT_PLANNING),
    "lint": (["lint"], NEVER | DB | {"cryptography"} | CONNECTION_TEST),
    # catalog mode needs no database: the pipeline imports the database layer only to read one
    "test-connection": (["test-connection", "--catalog", "catalog", "no-such-model"], NEVER | DB),
    # a catalog model resolved, its key unset so nothing is called, the results rendered; with
    # REGISTRY_DATABASE_URL set, as in CI: --catalog wins and the registry is never opened
    "test-connection-resolved": (
        ["test-connection", "--catalog", "catalog", "gpt-4o"],
        NEVER | DB | NOT_PLANNING,
    ),
}
EXPECTED_EXIT = {"test-connection": 1, "test-connection-resolved": 1}


def loaded(modules: set[str], forbidden: set[str]) -> list[str]:
    """The forbidden names among ``modules``: a name forbids the module and its submodules."""
    return sorted(
        name for name in forbidden if any(m == name or m.startswith(name + ".") for m in modules)
    )


def test_loaded_matches_submodules_not_prefixes() -> None:
    assert loaded({"sqlalchemy.engine.base", "click"}, {"sqlalchemy", "rich"}) == ["sqlalchemy"]
    assert loaded({"reconciler.applying"}, {"reconciler.apply"}) == []


def _probe(args: list[str], env: dict[str, str]) -> tuple[int, str, set[str]]:
    import json

    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    fields = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    # the probe really ran (an empty stdout would make the checks vacuous)
    assert {"EXIT", "OUTPUT", "MODULES"} <= fields.keys(), proc.stdout
    return int(fields["EXIT"]), json.loads(fields["OUTPUT"]), set(fields["MODULES"].split(","))


@pytest.mark.parametrize("name", sorted(PATHS))
def test_command_does_not_import_heavy_modules(name: str, tmp_path: Path) -> None:
    args, forbidden = PATHS[name]
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    if name.startswith("plan"):
        env["REGISTRY_DATABASE_URL"] = db
        upgrade = [sys.executable, "-m", "reconciler", "db", "upgrade", "--db", db]
        subprocess.run(upgrade, cwd=REPO, env=env, check=True, capture_output=True, timeout=300)
    if name == "plan-with-key":
        env["REGISTRY_ENCRYPTION_KEY"] = generate_key_text()
    if name == "test-connection-resolved":
        env["REGISTRY_DATABASE_URL"] = db  # not created: opening it would fail the command
        env.pop("OPENAI_API_KEY", None)  # gpt-4o's credential: unset, so no call is made
    code, output, modules = _probe(args, env)
    assert code == EXPECTED_EXIT.get(name, 0), output
    assert loaded(modules, forbidden) == [], output
    assert {"reconciler", "click"} <= modules
    if name.startswith("plan"):
        assert "to create" in output  # it did plan the catalog against the empty registry
    if name == "plan-with-key":
        # the key was read and derived (the HKDF), so the check above is not vacuous
        assert "cryptography.hazmat.primitives.kdf.hkdf" in modules
    if name == "lint":
        assert "model" in output  # it did lint the catalog (the summary counts its models)
    if name == "test-connection":
        assert "no-such-model" in output  # stopped where intended: before any call
    if name == "test-connection-resolved":
        # it resolved the catalog's model and reported it untested (no call, no registry)
        assert "gpt-4o" in output
        assert "OPENAI_API_KEY is not set" in output
        assert "registry database not found" not in output
