"""Test kit for secret sources: age X25519 identities generated in Python (bech32 per
BIP 173, as age uses it), a catalog of files encrypted by the real sops, and canaries."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from reconciler.plan.alerts import SecretFailure

CANARY = "CANARY-sk-1234567890abcdef"


def details(errors: Mapping[str, SecretFailure]) -> dict[str, str]:
    """``Resolved.errors`` as their words (the detail a terminal shows), by reference key."""
    return {key: failure.detail for key, failure in errors.items()}


def assert_no_canary(*texts: object) -> None:
    """Neither the text nor the repr of any of ``texts`` holds the canary secret."""
    for text in texts:
        assert CANARY not in str(text)
        assert CANARY not in repr(text)


_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to_5bit(data: bytes) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    five = _to_5bit(data)
    polymod = _polymod([*_hrp_expand(hrp), *five, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in five + checksum)


def new_identity() -> tuple[str, str]:
    """(secret identity 'AGE-SECRET-KEY-1...', recipient 'age1...')."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes_raw()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return bech32_encode("age-secret-key-", raw).upper(), bech32_encode("age", public)


@dataclass
class SopsCatalog:
    root: Path
    identity: str
    recipient: str
    key_file: Path
    sops: str

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "SOPS_AGE_KEY_FILE": str(self.key_file)}
        env.pop("SOPS_AGE_KEY_CMD", None)
        return subprocess.run(
            [self.sops, *args], env=env, capture_output=True, text=True, check=check, timeout=60
        )

    def encrypt(self, name: str, plain: str) -> Path:
        """Write ``plain`` as <root>/<name> and encrypt it in place with the real sops."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(plain)
        self.run("encrypt", "--age", self.recipient, "--in-place", str(path))
        return path

    def set(self, name: str, index: str, json_value: str) -> None:
        self.run("set", str(self.root / name), index, json_value)

    def key_cmd(self, body: str) -> str:
        """A SOPS_AGE_KEY_CMD script (sops runs it once per decryption that needs age keys)."""
        script = self.root.parent / f"keycmd-{abs(hash(body))}.sh"
        script.write_text("#!/bin/sh\n" + body + "\n")
        script.chmod(0o755)
        return str(script)
