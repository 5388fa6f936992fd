"""Fixtures for the secret sources: age identities, a catalog with sops files encrypted by the
real sops binary, and a moto server standing in for AWS Secrets Manager."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from secretkit import SopsCatalog, new_identity

from reconciler.secrets.sops import find_sops

_SOPS_ENV = (
    "SOPS_AGE_KEY",
    "SOPS_AGE_KEY_FILE",
    "SOPS_AGE_KEY_CMD",
    "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
    "SOPS_AGE_RECIPIENTS",
    "SOPS_KMS_ARN",
    "SOPS_PGP_FP",
)


@pytest.fixture
def sops_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SopsCatalog:
    for name in _SOPS_ENV:
        monkeypatch.delenv(name, raising=False)
    # No identity may come from the developer's home directory.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    identity, recipient = new_identity()
    key_file = tmp_path / "age-key.txt"
    key_file.write_text(f"# test identity\n{identity}\n")
    root = tmp_path / "catalog"
    root.mkdir()
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key_file))
    return SopsCatalog(root, identity, recipient, key_file, find_sops())


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto server for the session (each test resets its state)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A clean moto server; the AWS environment points boto3 at it."""
    import boto3
    import requests

    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    boto3.setup_default_session()  # a fresh default session reads this environment
    try:
        yield moto_server
    finally:
        boto3.DEFAULT_SESSION = None
