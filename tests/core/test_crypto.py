"""Encryption at rest and blind indexes."""

import base64

import pytest

from core.crypto import DecryptionError, UnknownHolderKind, blind_index, decrypt_str, encrypt_str, holder_index

KEY = "k" * 40


def test_round_trip_and_randomised() -> None:
    a = encrypt_str("11010519491231002X", master_key=KEY, context="person.number")
    b = encrypt_str("11010519491231002X", master_key=KEY, context="person.number")
    assert a != b
    assert "11010519491231002X" not in a
    assert decrypt_str(a, master_key=KEY, context="person.number") == "11010519491231002X"


def test_wrong_context_or_key_or_tamper_fails() -> None:
    token = encrypt_str("secret", master_key=KEY, context="a")
    with pytest.raises(DecryptionError):
        decrypt_str(token, master_key=KEY, context="b")
    with pytest.raises(DecryptionError, match="another master key"):
        decrypt_str(token, master_key="other" * 8, context="a")
    prefix, kid, body = token.split(":", 2)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[15] ^= 1
    flipped = base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(DecryptionError):
        decrypt_str(f"{prefix}:{kid}:{flipped}", master_key=KEY, context="a")
    with pytest.raises(DecryptionError):
        decrypt_str("garbage", master_key=KEY, context="a")


def test_blind_index_is_deterministic_keyed_and_normalised() -> None:
    assert holder_index("person", "11010519491231002x", master_key=KEY) == holder_index(
        "person", "11010519491231002X", master_key=KEY
    )
    assert holder_index("person", "11010519491231002X", master_key=KEY) != holder_index(
        "person", "11010519491231002X", master_key="o" * 40
    )
    assert blind_index("a", master_key=KEY, context="x") != blind_index("a", master_key=KEY, context="y")


def test_holder_index_keeps_the_kinds_apart() -> None:
    """Issue 14.2: one string valid as a resident ID and as a credit code names two holders."""
    both = "11110119610101511X"
    assert holder_index("person", both, master_key=KEY) != holder_index("organization", both, master_key=KEY)
    with pytest.raises(UnknownHolderKind):
        holder_index("department", both, master_key=KEY)
