"""A concluding approval that would fail (a reason too long, a clear ID number in a reason) is refused before
anything is issued: no license, the application still in review, and a later rejection issues nothing."""

from __future__ import annotations

import pytest

from wallet.applications import seed as demo
from wallet.licenses import service as license_service

from .conftest import WANG, ZHANG, World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _card_application(world: World, clerk: dict[str, str]) -> str:
    photo = world.client.post(
        "/api/applications/materials", headers=clerk,
        data={"item": demo.ELDERLY_CARD, "requirement": "photo", "number": ZHANG[0], "name": ZHANG[1]},
        files={"file": ("photo.png", PNG, "image/png")},
    )
    assert photo.status_code == 201, photo.text
    taken = world.client.post(
        "/api/counter/applications",
        headers=clerk,
        json={"item": demo.ELDERLY_CARD, "number": ZHANG[0], "name": ZHANG[1], "centre": "HALL-EAST",
              "form": {"card_form": {"phone": "13800000000"}}},
    )
    assert taken.status_code == 201, taken.text
    return str(taken.json()["serial"])


@pytest.mark.parametrize(
    ("reason", "code"),
    [("合格" * 400, "reason_too_long"), (f"核对申请人 {ZHANG[0]} 无误", "id_number_in_text"),
     ("合格\x00", "invalid_text")],
)
def test_bad_reason_issues_nothing(world: World, reason: str, code: str) -> None:
    clerk = world.token(
        *WANG, roles=("counter", f"clerk:{demo.CIVIL_AFFAIRS}", f"approver:{demo.CIVIL_AFFAIRS}")
    )
    serial = _card_application(world, clerk)
    refused = world.client.post(f"/api/applications/{serial}/review", headers=clerk,
                                json={"decision": "approve", "reasons": [reason]})
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["error"] == code and body["field"] == "reasons[0]", body
    assert ZHANG[0] not in refused.text

    def cards() -> list[str]:
        world.session.expire_all()
        rows = license_service.list_for_holders(session=world.session, holder_indexes={world.hid(ZHANG[0])})
        return [c.identifier for c in rows if c.license_type.type_code == world.types["elderly_card"]]

    assert cards() == []
    state = world.client.get(f"/api/applications/{serial}", headers=clerk)
    assert state.status_code == 200 and state.json()["status"] == "in_review", state.text
    # the approver then rejects it properly: still no card
    rejected = world.client.post(f"/api/applications/{serial}/review", headers=clerk,
                                 json={"decision": "reject", "reasons": ["照片不符合要求"]})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert cards() == []
