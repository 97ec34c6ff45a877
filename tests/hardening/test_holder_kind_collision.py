"""Holder kind is part of the holder index (issue 14, item 2): a string valid both as a resident ID (GB 11643)
and as a unified social credit code (GB 32100) names two different holders, so a person who registers it
never holds the organisation's licenses, and acting for the organisation never opens the person's.

Real tokens: the idp's pages and /token as the platform's own mobile app for the person, a token minted by
idp's own code for the organisation's representative, a department system's client-credentials token.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from core.crypto import holder_index
from core.runtime import runtime_of
from identifiers import ric, uscc
from tests.helpers.holder_kinds import BOTH, PERSON, REP, listed, make_collision, token_acting_for
from tests.helpers.ops_helpers import bearer, client_person_token, seed
from wallet.catalog import demo
from wallet.licenses import service as license_service


def test_the_number_is_valid_as_both_kinds() -> None:
    assert ric.is_valid(BOTH) and uscc.is_valid(BOTH)


def test_person_and_organisation_with_one_string_hold_apart(app: Any) -> None:
    with TestClient(app) as client:
        seed(app)
        card, org_license = make_collision(app, client)

        person = client_person_token(TestClient(app), number=PERSON[1], password=PERSON[2])["access_token"]
        mine = listed(client, person)
        assert org_license not in mine, "a person holds an organisation's business license"
        assert mine == {card: demo.ELDERLY_CARD}
        refused = client.get(f"/api/wallet/licenses/{org_license}", headers=bearer(person))
        assert refused.status_code == 404, refused.text
        assert client.get(f"/api/wallet/licenses/{org_license}/pdf", headers=bearer(person)).status_code == 404

        acting = token_acting_for(app, number=REP[1], credit_code=BOTH)
        claims = runtime_of(app).token_verifier(acting)
        assert claims["act_for"]["credit_code"] == BOTH, claims
        theirs = listed(client, acting)
        assert org_license in theirs, "the organisation's representative must see its license"
        assert card not in theirs, "acting for an organisation opens a person's license"
        refused = client.get(f"/api/wallet/licenses/{card}", headers=bearer(acting))
        assert refused.status_code == 404, refused.text
        # a grant of the person's license in the organisation's name is refused too
        grant = client.post(
            "/api/wallet/grants",
            headers=bearer(acting),
            json={
                "identifier": card,
                "holder": "organization",
                "grantee_kind": "department",
                "grantee": demo.MARKET,
                "purpose": "social_security",
                "valid_until": "2099-01-01T00:00:00+08:00",
            },
        )
        assert grant.status_code in (403, 404), grant.text

    # issuance used each license type's holder kind, never a guess from the string
    settings = runtime_of(app).settings
    with runtime_of(app).sessionmaker() as session:
        org_row = license_service.get_by_identifier(session=session, identifier=org_license)
        card_row = license_service.get_by_identifier(session=session, identifier=card)
        assert org_row is not None and card_row is not None
        assert (org_row.holder_kind, card_row.holder_kind) == ("organization", "person")
        assert org_row.holder_index == holder_index("organization", BOTH, master_key=settings.secret_key)
        assert card_row.holder_index == holder_index("person", BOTH, master_key=settings.secret_key)
        assert org_row.holder_index != card_row.holder_index
