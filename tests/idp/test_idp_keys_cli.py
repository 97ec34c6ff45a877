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


def test_rotation_keeps_old_key_until_tokens_expire(seeded, client) -> None:  # type: ignore[no-untyped-def]
    from idp.tokens import make_token_verifier

    token = client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=("demo-verifier", "demo-verifier-secret")
    ).json()["access_token"]
    old_kids = {k["kid"] for k in client.get("/jwks.json").json()["keys"]}
    with runtime_of(seeded).sessionmaker() as session:
        new = keys.rotate(session=session, settings=runtime_of(seeded).settings, alg="ES256")
        session.commit()
    runtime_of(seeded).get(KEYRING).forget()
    kids = {k["kid"] for k in client.get("/jwks.json").json()["keys"]}
    assert new.kid in kids and old_kids <= kids
    assert make_token_verifier(runtime_of(seeded), runtime_of(seeded).settings)(token)["sub"] == "demo-verifier"
    fresh = client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=("demo-verifier", "demo-verifier-secret")
    ).json()["access_token"]
    from idp.tokens import _kid_of

    assert _kid_of(fresh) == new.kid
    with runtime_of(seeded).sessionmaker() as session:
        for row in session.scalars(select(SigningKey).where(SigningKey.state == "retiring")):
            row.not_after = utcnow() - timedelta(seconds=1)
        keys.retire_expired(session=session)
        session.commit()
    runtime_of(seeded).get(KEYRING).forget()
    assert not old_kids & {k["kid"] for k in client.get("/jwks.json").json()["keys"] if k["alg"] == "ES256"}
    from idp.errors import InvalidToken

    with pytest.raises(InvalidToken):
        make_token_verifier(runtime_of(seeded).sessionmaker, runtime_of(seeded).settings)(token)


def test_scheduled_rotation(session, settings) -> None:  # type: ignore[no-untyped-def]
    row = keys.create_key(session=session, settings=settings, alg="ES256")
    row.created_at = utcnow() - timedelta(days=settings.key_rotation_days + 1)
    session.flush()
    rotated = keys.scheduled_rotation(session=session, settings=settings)
    assert len(rotated) == 1 and session.get(SigningKey, row.kid).state == "retiring"  # type: ignore[union-attr]
    assert keys.scheduled_rotation(session=session, settings=settings) == []


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
        assert cli.main(["keys", "rotate"]) == 0 and "ES256: new active key" in capsys.readouterr().out
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
