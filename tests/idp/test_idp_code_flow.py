"""Authorization code + PKCE end to end through the pages, with ID-token and access-token checks."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from core.runtime import runtime_of
from tests.helpers.idp_helpers import LI, ZHANG, exchange, login_code


def _verify(client, token: str) -> dict:  # type: ignore[no-untyped-def]
    keys = KeySet.import_key_set(client.get("/jwks.json").json())
    return jwt.decode(token, keys, algorithms=["ES256", "RS256"]).claims


def test_code_pkce_full_flow(seeded, client) -> None:  # type: ignore[no-untyped-def]
    code, verifier = login_code(client, number=LI[0], password=LI[1])
    response = exchange(client, code, verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    id_claims = _verify(client, body["id_token"])
    assert id_claims["aud"] == "demo-rp" and id_claims["nonce"] == "n-123"
    # 李四 is real-name verified in the demo data (idp/seed.py): a password login carries his proofed level
    assert id_claims["name"] == "李四" and id_claims["acr"] == "substantial" and id_claims["amr"] == ["pwd"]
    assert "sid" in id_claims and "auth_time" in id_claims and "id_number" not in id_claims
    access = _verify(client, body["access_token"])
    assert access["party_type"] == "person" and access["client_id"] == "demo-rp"
    assert access["hid"] and access["sub"] == id_claims["sub"]
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200 and info.json()["name"] == "李四"
    assert "refresh_token" in body


def test_token_verifier(seeded, client) -> None:  # type: ignore[no-untyped-def]
    from idp.tokens import make_token_verifier

    code, verifier = login_code(client, number=ZHANG[0], password=ZHANG[1])
    body = exchange(client, code, verifier).json()
    verify = make_token_verifier(runtime_of(seeded), runtime_of(seeded).settings)
    claims = verify(body["access_token"])
    assert claims["name"] == "张三"
