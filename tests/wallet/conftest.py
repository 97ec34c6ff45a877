"""Wallet fixtures: a stand-in token verifier on a test ES256 key, a ``token(**claims)`` helper, the demo
catalog, and helpers to issue licenses.

The lead will switch integration tests to real idp tokens: only ``mint``/``token_verifier`` here change.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.crypto import holder_index
from core.runtime import runtime_of
from core.settings import Settings
from idp.errors import IdpError
from wallet.catalog import demo
from wallet.catalog import service as catalog_service
from wallet.licenses import service as license_service
from wallet.licenses.models import License

TEST_MASTER_KEY = "test-master-key-0123456789abcdef0123456789"  # the settings fixture's secret_key
TEST_KEY = ECKey.generate_key("P-256", auto_kid=True)
ISSUER = "http://testserver"



@dataclass(frozen=True)
class Party:
    """A demo holder: name, number, kind and its holder index."""

    name: str
    number: str
    kind: str = "person"

    @property
    def hid(self) -> str:
        return holder_index(self.kind, self.number, master_key=TEST_MASTER_KEY)


ZHANG = Party("张三", "11010519491231002X")
LI = Party("李四", "110102199101010078")
WANG = Party("王五", "440882198503293017")
ORG = Party("示例科技有限公司", "91110000600037341L", "organization")


def mint(claims: dict[str, Any], *, key: ECKey = TEST_KEY, ttl: int = 600) -> str:
    """An access token with these claims, signed by the test key."""
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": "onenumber",
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode({"alg": "ES256", "kid": key.kid}, body, key)


def token_verifier(token: str) -> dict[str, Any]:
    """Stand-in for idp's verifier: signature and expiry, IdpError(invalid_token) otherwise."""
    try:
        decoded = jwt.decode(token, TEST_KEY, algorithms=["ES256"])
    except (JoseError, ValueError) as exc:
        raise IdpError("token signature invalid", code="invalid_token") from exc
    claims = dict(decoded.claims)
    if claims.get("exp", 0) < time.time():
        raise IdpError("token expired", code="invalid_token")
    return claims


def person(
    party: Party, *, roles: tuple[str, ...] = (), act_for: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Claims of a person's token (hall login)."""
    claims: dict[str, Any] = {
        "sub": "sub-" + party.hid[:12],
        "client_id": "hall",
        "scope": "openid profile id_number wallet:read wallet:share wallet:apply",
        "client_name": "网上办事大厅",
        "first_party": True,
        "party_type": "person",
        "name": party.name,
        "hid": party.hid,
        "roles": list(roles),
        "acr": "password",
    }
    if act_for is not None:
        claims["act_for"] = act_for
    return claims


def acting_for(org: Party, *, role: str = "agent", scopes: tuple[str, ...] = ("wallet",)) -> dict[str, Any]:
    """An ``act_for`` claim for ``org``."""
    return {"credit_code": org.number, "name": org.name, "role": role, "scopes": list(scopes), "hid": org.hid}


def department(
    code: str, *, client_id: str = "dept-system", scope: str = "license:issue license:read license:verify"
) -> dict[str, Any]:
    """Claims of a department system's client-credentials token."""
    return {
        "sub": client_id,
        "client_id": client_id,
        "scope": scope,
        "party_type": "client",
        "department": code,
    }


def bearer(claims: dict[str, Any]) -> dict[str, str]:
    """Authorization header for a token with these claims."""
    return {"Authorization": f"Bearer {mint(claims)}"}


@pytest.fixture
def token() -> Callable[..., str]:
    """``token(**claims)`` → a signed access token."""
    return lambda **claims: mint(claims)


@pytest.fixture
def app(settings: Settings, engine):  # type: ignore[no-untyped-def]
    """The whole app with the stand-in token verifier installed."""
    from onenumber.app import create_app

    assert settings.secret_key == TEST_MASTER_KEY, "holder indexes of the demo parties assume this key"
    application = create_app(settings)
    runtime_of(application).token_verifier = token_verifier
    return application


@pytest.fixture
def catalog(session: Session) -> Session:
    """The demo departments and license types."""
    for dept in demo.DEPARTMENTS:
        catalog_service.create_department(session=session, **dept)
    for spec in demo.LICENSE_TYPES:
        catalog_service.create_type(session=session, **spec)
    session.commit()
    return session


BUSINESS_DATA = dict(demo.LICENSES[0][3])
FOOD_DATA = dict(demo.LICENSES[1][3])
BIRTH_DATA = dict(demo.LICENSES[4][3])


@pytest.fixture
def issue(catalog: Session, settings: Settings, local_store):  # type: ignore[no-untyped-def]
    """``issue(type_code, party, data, **kw)`` → License, issued by the platform itself."""

    def run(type_code: str, party: Party, data: dict[str, Any], **kw: Any) -> License:
        return license_service.issue(
            session=catalog,
            settings=settings,
            blob_store=local_store,
            caller=None,
            type_code=type_code,
            holder_number=party.number,
            holder_name=party.name,
            data=data,
            **kw,
        ).license

    return run


def counts(session: Session, store: Any) -> tuple[int, int]:
    """(license rows, blobs) — what a failed request must not change."""
    session.rollback()
    rows = session.execute(select(func.count()).select_from(License)).scalar_one()
    return rows, sum(1 for _ in store.list())


def check_char_flip(identifier: str) -> list[str]:
    """Every identifier that differs from ``identifier`` in one alphanumeric character."""
    out = []
    for i, ch in enumerate(identifier):
        if not re.match(r"[0-9A-Z]", ch):
            continue
        repl = "7" if ch != "7" else "8"
        out.append(identifier[:i] + repl + identifier[i + 1 :])
    return out


class Kit:
    """Helpers for wallet tests, handed out by the ``kit`` fixture (test modules cannot import conftest)."""

    Party = Party
    ZHANG, LI, WANG, ORG = ZHANG, LI, WANG, ORG
    BUSINESS_DATA, FOOD_DATA, BIRTH_DATA = BUSINESS_DATA, FOOD_DATA, BIRTH_DATA
    demo = demo
    person = staticmethod(person)
    acting_for = staticmethod(acting_for)
    department = staticmethod(department)
    bearer = staticmethod(bearer)
    mint = staticmethod(mint)
    counts = staticmethod(counts)
    check_char_flip = staticmethod(check_char_flip)


@pytest.fixture
def kit() -> type[Kit]:
    """The wallet test helpers."""
    return Kit
