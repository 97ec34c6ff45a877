"""Public verification by presentation token (POST /api/verify/presentation): the answer the schema documents,
the license's status as of now on every check, the access-log row in before the answer, refusals that log
nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import Engine, select

from core.db import make_sessionmaker
from wallet.dependencies import Caller
from wallet.errors import InvalidPresentation
from wallet.licenses import grants, keys, lifecycle, presentation, verification
from wallet.licenses.models import AccessLog, License
from wallet.licenses.schemas import VerificationOut

API = "/api/verify/presentation"


def _logged(engine: Engine, lic: License) -> list[AccessLog]:
    """The license's access-log rows, read on a connection of their own (what is committed)."""
    with make_sessionmaker(engine)() as s:
        return list(s.scalars(select(AccessLog).where(AccessLog.license_id == lic.id).order_by(AccessLog.id)))


@pytest.fixture
def shown(issue, catalog, settings, kit):  # type: ignore[no-untyped-def]
    """A birth certificate and a presentation of it revealing two fields."""
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    token = presentation.present(session=catalog, settings=settings, lic=lic, fields=["born_on", "sex"]).token
    return lic, token


def test_the_answer_is_the_documented_schema_and_the_page_sees_the_same(client, catalog, shown) -> None:
    lic, token = shown
    resp = client.post(API, json={"token": token})
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    # byte for byte what FastAPI would send for response_model=VerificationOut
    assert resp.content == VerificationOut.model_validate_json(resp.content).model_dump_json().encode()
    body = resp.json()
    assert (body["valid"], body["status"], body["identifier"]) == (True, "valid", lic.identifier)
    assert body["holder"] == {"kind": "person", "name": "李*", "number": "*" * 16 + "78"}  # beside born_on
    assert body["fields"] == [
        {"name": "born_on", "label": "出生日期", "value": "1991-01-01"},
        {"name": "sex", "label": "性别", "value": "男"},
    ]
    page = verification.verify_presentation(session=catalog, token=token).model_dump(mode="json")
    for moment in ("checked_at", "age_seconds"):
        body.pop(moment), page.pop(moment)
    assert body == page


def test_every_check_reads_the_status_now_and_is_logged_before_the_answer(
    client, catalog, engine, shown
) -> None:
    lic, token = shown

    def verify() -> str:
        resp = client.post(API, json={"token": token})
        assert resp.status_code == 200, resp.text
        status: str = resp.json()["status"]
        return status

    assert verify() == "valid"
    assert [(r.accessor, r.action, r.channel, r.purpose) for r in _logged(engine, lic)] == [
        ("public", "verify", "api", "presentation")
    ]
    # the same token again and again (its signature is not checked twice): the status is the license's now
    for action, expected in (("suspend", "suspended"), ("reinstate", "valid"), ("revoke", "revoked")):
        lifecycle.change_status(session=catalog, lic=lic, action=action, actor="test")
        assert verify() == expected
    assert len(_logged(engine, lic)) == 4


def test_a_caller_with_a_token_is_logged_as_itself(client, engine, shown, kit) -> None:
    lic, token = shown
    claims = kit.department(kit.demo.HEALTH)
    resp = client.post(API, json={"token": token}, headers=kit.bearer(claims))
    assert resp.status_code == 200, resp.text
    accessor, label = grants.accessor_of(Caller.from_claims(claims))
    assert [(r.accessor, r.accessor_label) for r in _logged(engine, lic)] == [(accessor, label)]

    refused = client.post(API, json={"token": token}, headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401
    assert len(_logged(engine, lic)) == 1


def test_refusals_log_nothing(client, catalog, engine, shown, settings) -> None:
    lic, token = shown
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{sig[:-4]}AAAA"
    assert client.post(API, json={"token": forged}).json()["error"] == "invalid_presentation"

    foreign = jwt.encode(
        {"alg": "ES256", "kid": "not-ours", "typ": presentation.TOKEN_TYPE},
        {"license": lic.identifier, "iat": int(datetime.now(UTC).timestamp()), "exp": 2**31 - 1},
        ECKey.generate_key("P-256"),
    )
    resp = client.post(API, json={"token": foreign})
    assert resp.status_code == 400 and "does not know" in resp.json()["detail"]

    lic.identifier = lic.identifier + "X"  # the license the token names is no longer in the registry
    catalog.commit()
    resp = client.post(API, json={"token": token})
    assert resp.status_code == 400 and "not in the registry" in resp.json()["detail"]
    assert _logged(engine, lic) == []


def test_a_known_signature_still_expires(issue, catalog, settings, kit, monkeypatch) -> None:
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    t0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    token = presentation.present(session=catalog, settings=settings, lic=lic, fields=[], ttl=300, now=t0).token
    checks: list[str] = []
    real = presentation.check_signed

    def counting(tok: str, key_for: Any, **kw: Any) -> Any:
        checks.append(tok)
        return real(tok, key_for, **kw)

    monkeypatch.setattr(presentation, "check_signed", counting)
    monkeypatch.setattr(presentation, "_verified", {})
    for age in (10, 60):
        ok = verification.verify_presentation(session=catalog, token=token, now=t0 + timedelta(seconds=age))
        assert ok.age_seconds == age
    assert len(checks) == 1  # the second check skipped only the signature
    with pytest.raises(InvalidPresentation) as info:
        verification.verify_presentation(session=catalog, token=token, now=t0 + timedelta(minutes=10))
    assert info.value.code == "presentation_expired"
    with pytest.raises(InvalidPresentation):  # another token (one byte changed) is checked in full
        verification.verify_presentation(session=catalog, token=token[:-2] + "AA", now=t0)
    assert len(checks) == 2


def test_a_key_this_process_has_not_loaded_is_loaded_off_the_event_loop(client, shown, monkeypatch) -> None:
    _, token = shown
    monkeypatch.setattr(keys, "_public", {})
    monkeypatch.setattr(presentation, "_verified", {})
    with pytest.raises(presentation.UnknownKey):
        presentation.decode_with_loaded_keys(token=token)
    assert client.post(API, json={"token": token}).status_code == 200
    claims, _ = presentation.decode_with_loaded_keys(token=token)
    assert claims["fields"] == {"born_on": "1991-01-01", "sex": "男"}
