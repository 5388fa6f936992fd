"""Age identities: bech32 per BIP 173 as age writes them, the recipient belonging to the key.
That sops accepts them is tested with the real binary in test_repository.py."""

from __future__ import annotations

from datetime import UTC, datetime

from bech32 import bech32_decode, convertbits
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from reconciler.scaffold.age import AgeIdentity, new_identity


def _raw(text: str, hrp: str) -> bytes:
    found_hrp, words = bech32_decode(text.lower())
    assert found_hrp == hrp, text
    assert words is not None
    data = convertbits(words, 5, 8, False)
    assert data is not None
    return bytes(data)


def test_the_recipient_is_the_secret_keys_public_key() -> None:
    identity = new_identity()
    assert identity.secret_key.startswith("AGE-SECRET-KEY-1")
    assert identity.secret_key == identity.secret_key.upper()
    assert identity.recipient.startswith("age1")
    assert (len(identity.secret_key), len(identity.recipient)) == (74, 62)
    secret = _raw(identity.secret_key, "age-secret-key-")
    public = X25519PrivateKey.from_private_bytes(secret).public_key()
    assert _raw(identity.recipient, "age") == public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_every_identity_is_new() -> None:
    assert len({new_identity().secret_key for _ in range(20)}) == 20


def test_the_key_file_is_in_age_keygens_format() -> None:
    identity = AgeIdentity("AGE-SECRET-KEY-1XYZ", "age1abc")
    text = identity.key_file(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert text == ("# created: 2026-01-02T03:04:05Z\n# public key: age1abc\nAGE-SECRET-KEY-1XYZ\n")
