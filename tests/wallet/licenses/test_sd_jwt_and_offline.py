"""SD-JWT VC export and verification; offline check of a presentation token with the published JWKS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from onenumber.cli import main
from wallet.errors import InvalidPresentation
from wallet.licenses import presentation, sdjwt


def test_sd_jwt_round_trip_with_selective_disclosure(client, issue, kit) -> None:
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    holder = kit.bearer(kit.person(kit.LI))
    resp = client.get(
        f"/api/wallet/licenses/{lic.identifier}/sd-jwt", params={"fields": ["born_on", "sex"]}, headers=holder
    )
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/dc+sd-jwt")
    credential = resp.text
    assert credential.endswith("~") and credential.count("~") == 3  # JWT + 2 disclosures
    assert kit.LI.number not in credential.split("~")[0]  # the number is only in a (withheld) disclosure
    result = client.post("/api/verify/sd-jwt", json={"credential": credential}).json()
    assert (result["valid"], result["status"]) == (True, "valid")
    assert result["disclosed"] == {"sex": "男", "born_on": "1991-01-01"}
    assert result["vct"].endswith(f"/api/wallet/license-types/{kit.demo.BIRTH_CERTIFICATE}")

    # dropping a disclosure is the holder's right; adding a foreign one is forgery
    jwt_part, first, _second, _ = credential.split("~")
    assert client.post("/api/verify/sd-jwt", json={"credential": f"{jwt_part}~{first}~"}).json()["valid"]
    other = client.get(f"/api/wallet/licenses/{lic.identifier}/sd-jwt", headers=holder).text.split("~")[1]
    forged = client.post("/api/verify/sd-jwt", json={"credential": f"{jwt_part}~{other}~"})
    assert forged.status_code == 400 and forged.json()["error"] == "invalid_presentation"

    client.post(
        f"/api/licenses/{lic.identifier}/suspend",
        json={},
        headers=kit.bearer(kit.department(kit.demo.HEALTH)),
    )
    assert client.post("/api/verify/sd-jwt", json={"credential": credential}).json()["status"] == "suspended"


def test_offline_verification_with_jwks(client, issue, catalog, settings, kit, tmp_path, capsys) -> None:
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    shown = client.post(
        f"/api/wallet/licenses/{lic.identifier}/present",
        json={"fields": ["sex"]},
        headers=kit.bearer(kit.person(kit.LI)),
    ).json()
    jwks = client.get("/api/wallet/keys").json()
    assert jwks["keys"] and "d" not in jwks["keys"][0]
    claims = presentation.verify_offline(shown["token"], jwks)
    assert (
        claims["fields"] == {"sex": "男"} and claims["holder"]["name"] == "李*" and claims["age_seconds"] < 30
    )
    later = datetime.now(UTC) + timedelta(minutes=6)
    with pytest.raises(InvalidPresentation):
        presentation.verify_offline(shown["token"], jwks, now=later)
    with pytest.raises(InvalidPresentation):
        presentation.verify_offline(shown["token"], {"keys": []})

    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    assert main(["wallet", "verify-offline", shown["verify_url"], "--jwks", str(path)]) == 0
    out = capsys.readouterr().out
    assert "signature valid (offline)" in out and "出生医学证明" in out
    assert main(["wallet", "verify-offline", "x.y.z", "--jwks", str(path)]) == 1


def test_qr_png_of_a_presentation(client, issue, kit) -> None:
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    shown = client.post(
        f"/api/wallet/licenses/{lic.identifier}/present", json={}, headers=kit.bearer(kit.person(kit.LI))
    ).json()
    png = client.get(shown["qr_png_url"])
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.get("/api/wallet/present/not-a-token/qr.png").status_code == 400


def test_sd_jwt_expiry_follows_the_license(issue, catalog, settings, kit) -> None:
    from datetime import date

    lic = issue(kit.demo.FOOD_PERMIT, kit.ORG, kit.FOOD_DATA, valid_from=date(2020, 1, 1))
    credential = sdjwt.export(
        session=catalog, settings=settings, lic=lic, now=datetime(2021, 1, 1, tzinfo=UTC)
    )
    assert sdjwt.verify(session=catalog, credential=credential)["status"] == "expired"
