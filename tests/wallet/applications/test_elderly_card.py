"""老年人优待证 at a counter: the clerk takes a walk-in by number, checks the photo (trust B), the approver
concludes the same day; the sealed result and the card land in the holder's wallet."""

from __future__ import annotations

from wallet.applications import seed as demo
from wallet.licenses import service as license_service

from .conftest import WANG, ZHANG, World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_same_day_card_sealed_and_in_wallet(world: World) -> None:
    clerk = world.token(
        *WANG, roles=("counter", f"clerk:{demo.CIVIL_AFFAIRS}", f"approver:{demo.CIVIL_AFFAIRS}")
    )
    photo = world.client.post(
        "/api/applications/materials",
        headers=clerk,
        data={"item": demo.ELDERLY_CARD, "requirement": "photo", "number": ZHANG[0], "name": ZHANG[1]},
        files={"file": ("photo.png", PNG, "image/png")},
    )
    assert photo.status_code == 201, photo.text
    assert photo.json()["trust"] == "B"

    taken = world.client.post(
        "/api/counter/applications",
        headers=clerk,
        json={
            "item": demo.ELDERLY_CARD,
            "number": ZHANG[0],
            "name": ZHANG[1],
            "centre": "HALL-EAST",
            "green_channel": "elderly",
            "form": {"card_form": {"phone": "13800000000"}},
        },
    )
    assert taken.status_code == 201, taken.text
    app = taken.json()
    assert app["status"] == "in_review" and app["channel"] == "counter"
    assert app["deadline"] == "2026-03-02"  # same day
    assert app["applicant_number_masked"] == "1101**********002X"
    assert {m["requirement"]: m["trust"] for m in app["materials"]} == {"photo": "B", "card_form": "C"}
    assert app["form"]["card_form"]["name"] == ZHANG[1]

    done = world.client.post(
        f"/api/applications/{app['serial']}/review", headers=clerk, json={"decision": "approve"}
    )
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["status"] == "approved" and result["working_days_used"] == 0
    card_id = result["result"]["license_identifier"]

    holder = world.token(*ZHANG)
    mine = world.client.get("/api/applications", headers=holder).json()
    assert [a["serial"] for a in mine] == [app["serial"]]
    assert [e["action"] for e in mine[0]["timeline"]] == [
        "submitted",
        "accepted",
        "routed",
        "approved",
        "concluded",
        "delivered",
    ]
    pdf = world.client.get(f"/api/applications/{app['serial']}/result.pdf", headers=holder)
    import signing

    assert signing.verify_pdf_sync(session=world.session, settings=world.settings, pdf=pdf.content).valid
    cards = license_service.list_for_holders(session=world.session, holder_indexes={world.hid(ZHANG[0])})
    assert [(c.identifier, c.license_type.type_code, c.data["name"]) for c in cards] == [
        (card_id, world.types["elderly_card"], ZHANG[1])
    ]
