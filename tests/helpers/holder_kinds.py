"""Helpers of the holder-kind tests (issue 14.2): a number valid as a resident ID and as a credit code, held by a
person and by an organisation; their licenses; real tokens of both sides."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from core.runtime import runtime_of
from idp.oauth import clients as client_service
from idp.oauth.claims import principal_for
from idp.parties import service as party_service
from idp.parties.passwords import hash_password
from idp.tokens import issue_access_token, keyring_for
from storage.deps import BLOB_STORE
from tests.helpers.ops_helpers import APP_SCOPE, bearer, business_license
from wallet.catalog import demo
from wallet.licenses import service as license_service

BOTH = "11110119610101511X"  # a valid resident ID and a valid credit code at once
PERSON = ("冒名者", BOTH, "Collide-2026-pass")  # registers the number as their resident ID
REP = ("法人代表", "110101198001010117", "Represent-2026-pass")  # legal representative of the organisation
COMPANY = "同号科技有限公司"


def token_acting_for(app: Any, *, number: str, credit_code: str) -> str:
    """A person's access token acting for an organisation, minted by idp's own code as the hall client (the
    login page's organisation choice cannot be used for this organisation: its work-log entry names the credit
    code, which is also a valid resident ID, and the work log refuses clear ID numbers)."""
    settings = runtime_of(app).settings
    with runtime_of(app).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=settings, number=number)
        assert person is not None
        (option,) = [o for o in party_service.list_acting_options(session=session, person=person) if o.credit_code == credit_code]
        facts = {
            "acr": "substantial",
            "amr": ["pwd"],
            "auth_time": int(time.time()),
            "act_for": party_service.act_for_claim(option, settings=settings),
        }
        principal = principal_for(session=session, settings=settings, person=person, sid=None, facts=facts)
        hall = client_service.get(session=session, client_id="hall")
        assert hall is not None
        token, _ = issue_access_token(
            keyring=keyring_for(runtime_of(app)),
            settings=settings,
            client_id="hall",
            scope=APP_SCOPE,
            principal=principal,
            client_claims=client_service.token_claims(hall),
        )
    return token


def make_collision(app: Any, client: TestClient) -> tuple[str, str]:
    """The person with the number and their license, the organisation with the same number (its
    representative, its business license issued by a department over HTTP); returns (card, business license)."""
    settings = runtime_of(app).settings
    with runtime_of(app).sessionmaker() as session:
        person = party_service.create(
            session=session, settings=settings, number=PERSON[1], name=PERSON[0], password_hash=hash_password(PERSON[2])
        )
        party_service.raise_assurance(session=session, person=person, level="substantial", by="test")
        rep = party_service.create(
            session=session, settings=settings, number=REP[1], name=REP[0], password_hash=hash_password(REP[2])
        )
        party_service.raise_assurance(session=session, person=rep, level="substantial", by="test")
        party_service.create_organization(session=session, credit_code=BOTH, name=COMPANY, legal_rep=rep)
        session.commit()  # issuance reserves its serial in a transaction of its own
        card = license_service.issue(
            session=session,
            settings=settings,
            blob_store=runtime_of(app).get(BLOB_STORE),
            caller=None,
            type_code=demo.ELDERLY_CARD,
            holder_number=BOTH,
            holder_name=PERSON[0],
            data={"sex": "男", "born_on": "1961-01-01", "card_no": "COLLIDE-CARD-0001"},
        ).license.identifier
    dept = client.post(
        "/token",
        auth=("demo-verifier", "demo-verifier-secret"),
        data={"grant_type": "client_credentials", "scope": "license:issue"},
    ).json()
    body = {**business_license(1), "holder_number": BOTH, "holder_name": COMPANY}
    issued = client.post("/api/licenses", json=body, headers=bearer(dept["access_token"]))
    assert issued.status_code == 201, issued.text
    return card, str(issued.json()["identifier"])


def listed(client: TestClient, token: str) -> dict[str, str]:
    """Identifier → license type code of the wallet the token opens."""
    response = client.get("/api/wallet/licenses", headers=bearer(token))
    assert response.status_code == 200, response.text
    return {x["identifier"]: x["license_type"]["code"] for x in response.json()}
