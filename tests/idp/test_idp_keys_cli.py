"""Key rotation (old key verifies until its tokens expire), scheduled rotation, and the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import utcnow
from core.runtime import runtime_of
from idp.keys import service as keys
from idp.keys.models import SigningKey
from idp.tokens import KEYRING


def _token(client) -> str:  # type: ignore[no-untyped-def]
    return str(client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=("demo-verifier", "demo-verifier-secret")
    ).json()["access_token"])


def _published(client) -> set[str]:  # type: ignore[no-untyped-def]
    return {k["kid"] for k in client.get("/jwks.json").json()["keys"]}


def _at_activation(seeded, kid: str) -> None:  # type: ignore[no-untyped-def]
    """Let the publication time of ``kid`` pass (as the clock would) and the ring look again."""
    with runtime_of(seeded).sessionmaker() as session:
        row = session.get(SigningKey, kid)
        row.activates_at = utcnow()
        session.commit()
    runtime_of(seeded).get(KEYRING).forget()


def test_a_rotated_key_is_published_before_it_signs(seeded, client) -> None:  # type: ignore[no-untyped-def]
    from idp.errors import InvalidToken
    from idp.tokens import _kid_of, make_token_verifier

    settings = runtime_of(seeded).settings
    token = _token(client)
    old_kid = _kid_of(token)
    with runtime_of(seeded).sessionmaker() as session:
        new = keys.rotate(session=session, settings=settings, alg="ES256")
        session.commit()
        new_kid, activates_at = new.kid, new.activates_at
    assert new.state == "pending"
    assert activates_at is not None and abs(
        (activates_at - utcnow()).total_seconds() - settings.key_publish_seconds
    ) < 5
    runtime_of(seeded).get(KEYRING).forget()
    # phase one: in JWKS, not signing yet — the old key signs on
    assert {old_kid, new_kid} <= _published(client)
    assert _kid_of(_token(client)) == old_kid
    # phase two: its time has come; it signs, and the first signer records it as the active key
    _at_activation(seeded, new_kid)
    fresh = _token(client)
    assert _kid_of(fresh) == new_kid
    with runtime_of(seeded).sessionmaker() as session:
        assert session.get(SigningKey, new_kid).state == "active"  # type: ignore[union-attr]
        old = session.get(SigningKey, old_kid)
        assert old is not None and old.state == "retiring" and old.not_after is not None
        assert old.not_after > utcnow() + timedelta(seconds=settings.access_token_ttl)
    assert {old_kid, new_kid} <= _published(client)
    verify = make_token_verifier(runtime_of(seeded), settings)
    assert verify(token)["sub"] == "demo-verifier" and verify(fresh)["sub"] == "demo-verifier"
    # the old key leaves JWKS once its tokens have expired, and then verifies nothing
    with runtime_of(seeded).sessionmaker() as session:
        for row in session.scalars(select(SigningKey).where(SigningKey.state == "retiring")):
            row.not_after = utcnow() - timedelta(seconds=1)
        keys.retire_expired(session=session)
        session.commit()
    runtime_of(seeded).get(KEYRING).forget()
    assert old_kid not in _published(client)
    with pytest.raises(InvalidToken):
        make_token_verifier(runtime_of(seeded).sessionmaker, settings)(token)


def test_a_second_rotation_replaces_the_waiting_key(session, settings) -> None:  # type: ignore[no-untyped-def]
    first = keys.create_key(session=session, settings=settings, alg="ES256")
    waiting = keys.rotate(session=session, settings=settings, alg="ES256").kid
    newer = keys.rotate(session=session, settings=settings, alg="ES256")
    session.flush()
    assert session.get(SigningKey, waiting) is None  # it had signed nothing
    states = {row.kid: row.state for row in keys.listing(session=session)}
    assert states == {first.kid: "active", newer.kid: "pending"}


def test_one_active_key_per_algorithm_is_a_database_rule(session, settings) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import IntegrityError

    keys.create_key(session=session, settings=settings, alg="ES256")
    keys.create_key(session=session, settings=settings, alg="RS256")  # another algorithm: fine
    with pytest.raises(IntegrityError):
        keys.create_key(session=session, settings=settings, alg="ES256")


def test_the_signer_is_chosen_by_activation_time() -> None:
    now = utcnow()
    old = SigningKey(kid="old", alg="ES256", state="active", created_at=now - timedelta(days=9), activates_at=None)
    soon = SigningKey(kid="soon", alg="ES256", state="pending", created_at=now, activates_at=now + timedelta(seconds=60))
    assert keys.choose_signer([old, soon], now) == (old, soon.activates_at)
    assert keys.choose_signer([old, soon], now + timedelta(seconds=60)) == (soon, None)
    assert keys.choose_signer([soon], now) == (None, soon.activates_at)  # nothing may sign yet: create one


def test_publication_must_outlast_the_jwks_cache() -> None:
    from pydantic import ValidationError

    from core.settings import Settings

    with pytest.raises(ValidationError, match="KEY_PUBLISH_SECONDS"):
        Settings(key_publish_seconds=60, jwks_cache_seconds=60)
    assert keys.ring_ttl(Settings()) == 30.0
    assert keys.ring_ttl(Settings(key_publish_seconds=4, jwks_cache_seconds=1)) == 1.5


def test_scheduled_rotation(session, settings) -> None:  # type: ignore[no-untyped-def]
    row = keys.create_key(session=session, settings=settings, alg="ES256")
    row.created_at = utcnow() - timedelta(days=settings.key_rotation_days + 1)
    session.flush()
    rotated = keys.scheduled_rotation(session=session, settings=settings)
    assert len(rotated) == 1 and session.get(SigningKey, rotated[0]).state == "pending"  # type: ignore[union-attr]
    assert session.get(SigningKey, row.kid).state == "active"  # type: ignore[union-attr]  # signs until then
    assert keys.scheduled_rotation(session=session, settings=settings) == []  # a successor waits
    session.get(SigningKey, rotated[0]).activates_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert keys.scheduled_rotation(session=session, settings=settings) == []
    assert session.get(SigningKey, row.kid).state == "retiring"  # type: ignore[union-attr]
    assert session.get(SigningKey, rotated[0]).state == "active"  # type: ignore[union-attr]


def test_private_keys_are_encrypted(session, settings) -> None:  # type: ignore[no-untyped-def]
    row = keys.create_key(session=session, settings=settings, alg="RS256")
    assert "PRIVATE KEY" not in row.private_cipher and "d" not in row.public_jwk


def test_cli_clients_and_keys(engine, settings, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from core.settings import get_settings
    from onenumber import cli

    monkeypatch.setenv("ONENUMBER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ONENUMBER_SECRET_KEY", settings.secret_key)
    get_settings.cache_clear()
    try:
        assert (
            cli.main(
                [
                    "clients",
                    "add",
                    "portal",
                    "--kind",
                    "web",
                    "--redirect-uris",
                    "https://portal.example/cb",
                    "--scopes",
                    "openid profile",
                    "--id-token-alg",
                    "RS256",
                ]
            )
            == 0
        )
        out = capsys.readouterr().out
        assert "client secret (shown once):" in out
        assert cli.main(["clients", "list"]) == 0 and "portal" in capsys.readouterr().out
        assert cli.main(["clients", "rotate-secret", "portal"]) == 0
        assert cli.main(["clients", "disable", "portal"]) == 0
        assert cli.main(["clients", "list"]) == 0 and "DISABLED" in capsys.readouterr().out
        assert cli.main(["clients", "add", "portal", "--kind", "web"]) == 2
        assert cli.main(["keys", "rotate"]) == 0
        out = capsys.readouterr().out
        assert "ES256: new key" in out and "is in JWKS now and signs from" in out
        assert cli.main(["keys", "list"]) == 0
        listed = capsys.readouterr().out.splitlines()
        assert sum("\tES256\tpending\t" in line for line in listed) == 1, listed
        assert (
            cli.main(
                [
                    "persons",
                    "add",
                    "110101199003070038",
                    "赵六",
                    "--password",
                    "Zhaoliu-2026",
                    "--roles",
                    "clerk:11110000000137015K",
                ]
            )
            == 0
        )
    finally:
        get_settings.cache_clear()
