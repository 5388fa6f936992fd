"""A fresh age X25519 identity, as ``age-keygen`` makes it: the secret key and the recipient
are the raw 32-byte X25519 keys in bech32 (BIP 173), the secret one upper-case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bech32 import bech32_encode, convertbits
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


@dataclass(frozen=True)
class AgeIdentity:
    secret_key: str  # AGE-SECRET-KEY-1...
    recipient: str  # age1...

    def key_file(self, now: datetime | None = None) -> str:
        """The key file's text, in age-keygen's format (sops reads it as SOPS_AGE_KEY)."""
        created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"# created: {created}\n# public key: {self.recipient}\n{self.secret_key}\n"


def _bech32(hrp: str, raw: bytes) -> str:
    words = convertbits(raw, 8, 5)
    assert words is not None  # 8 to 5 bits with padding always converts
    return bech32_encode(hrp, words)


def new_identity() -> AgeIdentity:
    key = X25519PrivateKey.generate()
    secret = key.private_bytes_raw()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return AgeIdentity(_bech32("age-secret-key-", secret).upper(), _bech32("age", public))
