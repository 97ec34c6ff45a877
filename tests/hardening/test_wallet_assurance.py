"""The wallet opens only after real-name verification (issue 14, item 2): a self-registered (``low``) account
learns that licenses wait for its number and how to raise its level, never what they are — in the API and in
the hall; once proofed (here: raised at the counter) and signed in again, it sees them.

Real flows: the idp's pages and /token as the platform's own mobile app, the hall's OIDC login.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from core.runtime import runtime_of
from idp.parties import service as party_service
from storage.deps import BLOB_STORE
from tests.helpers.ops_helpers import bearer, client_person_token, seed

SUN = ("110108198805050012", "Sunqi-2026")  # 孙七, self-registered in the demo data: assurance low
ZHANG = ("11010519491231002X", "Zhangsan-2026")


def _issue_to_sun(app: Any) -> None:
    """A department issues a license to 孙七's number (as it would before 孙七 ever registered)."""
    from wallet.catalog import demo
    from wallet.licenses import service as license_service

    with runtime_of(app).sessionmaker() as session:
        license_service.issue(
            session=session, settings=runtime_of(app).settings, blob_store=runtime_of(app).get(BLOB_STORE), caller=None,
            type_code=demo.ELDERLY_CARD, holder_number=SUN[0], holder_name="孙七",
            data={"sex": "男", "born_on": "1988-05-05", "card_no": "SUNQI-CARD-0001"},
        )


def test_low_assurance_sees_that_licenses_wait_but_not_what(app: Any, world_tools: Any) -> None:
    with TestClient(app) as client:
        seed(app)
        _issue_to_sun(app)
        token = client_person_token(client, number=SUN[0], password=SUN[1])
        claims = runtime_of(app).token_verifier(token["access_token"])
        assert claims["acr"] == "low", claims
        refused = client.get("/api/wallet/licenses", headers=bearer(token["access_token"]))
        assert refused.status_code == 403, refused.text
        body = refused.json()
        assert body["error"] == "assurance_required" and "/proofing" in body["detail"], body
        assert "1 张证照" in body["detail"] and "SUNQI-CARD-0001" not in refused.text
        # nor through an application, which reuses the wallet's licenses (identifiers, validity, form data)
        for code in ("WSJK-GG-0001", "MZ-GG-0001"):
            prep = client.get(f"/api/services/{code}/prepare", headers=bearer(token["access_token"]))
            assert prep.status_code == 403 and prep.json()["error"] == "assurance_required", prep.text
            assert "SUNQI-CARD-0001" not in prep.text
        # the hall says the same, in Chinese, as a page
        browser = TestClient(app)
        world_tools.hall_login(browser, SUN[0], SUN[1])
        page = browser.get("/hall/licenses", follow_redirects=False)
        assert page.status_code == 403 and "text/html" in page.headers["content-type"], page.text[:300]
        assert "实名认证" in page.text
        apply = browser.get("/hall/apply/MZ-GG-0001", follow_redirects=False)
        assert apply.status_code == 403 and "实名认证" in apply.text and "SUNQI-CARD-0001" not in apply.text
        # a proofed person's wallet is open
        zhang = client_person_token(TestClient(app), number=ZHANG[0], password=ZHANG[1])
        assert client.get("/api/wallet/licenses", headers=bearer(zhang["access_token"])).status_code == 200
        # 孙七 is verified in person; the next login opens the wallet
        with runtime_of(app).sessionmaker() as session:
            person = party_service.get_by_number(session=session, settings=runtime_of(app).settings, number=SUN[0])
            assert person is not None
            party_service.raise_assurance(session=session, person=person, level="substantial", by="counter")
            session.commit()
        again = client_person_token(TestClient(app), number=SUN[0], password=SUN[1])  # a fresh sign-in
        opened = client.get("/api/wallet/licenses", headers=bearer(again["access_token"]))
        assert opened.status_code == 200, (opened.text, runtime_of(app).token_verifier(again["access_token"]).get("acr"))
        assert [c["data"]["card_no"] for c in opened.json()] == ["SUNQI-CARD-0001"]
