"""Progress: public status by serial number and query code with no personal data; appointments booked,
shown on the application and cancelled; the reform dashboard's figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

from wallet.applications import appointments
from wallet.applications import seed as demo
from wallet.applications.models import AppointmentSlot

from .conftest import ORG, WANG, ZHANG, World


def _licensed(world: World) -> None:
    world.issue("business_license", ORG[0], ORG[1], {"name": ORG[1]}, date(2024, 6, 1))
    world.issue("food_permit", ORG[0], ORG[1], {"operator": ORG[1]}, date(2025, 6, 1))


def test_public_status_shows_no_personal_data(world: World) -> None:
    _licensed(world)
    app = world.client.post(
        "/api/applications",
        headers=world.token(*ZHANG, act_for=ORG[0]),
        json={
            "item": demo.RESTAURANT,
            "form": {"opening_form": {"address": "人民路 1 号", "seats": 20, "opening_date": "2026-06-01"}},
        },
    ).json()
    status = world.client.get(
        "/api/applications/status", params={"serial": app["serial"], "code": app["query_code"]}
    )
    assert status.status_code == 200
    text = status.text
    assert status.json()["status"] == "in_review" and status.json()["deadline"] == "2026-03-09"
    for secret in (ORG[0], ORG[1], ZHANG[1], "人民路"):
        assert secret not in text
    wrong = world.client.get("/api/applications/status", params={"serial": app["serial"], "code": "00000000"})
    assert wrong.status_code == 404 and wrong.json()["error"] == "application_not_found"


def test_appointment_booked_shown_and_cancelled(world: World) -> None:
    _licensed(world)
    centre = appointments.create_centre(session=world.session, code="HALL-EAST", name="东城区政务服务中心")
    slot = appointments.add_slots(
        session=world.session, centre=centre, starts=[datetime(2026, 3, 3, 1, 0, tzinfo=UTC)], capacity=1
    )[0]
    world.session.commit()
    applicant = world.token(*ZHANG, act_for=ORG[0])
    booked = world.client.post(
        "/api/appointments", headers=applicant, json={"slot_id": slot.id, "item": demo.RESTAURANT}
    )
    assert booked.status_code == 201, booked.text
    full = world.client.post(
        "/api/appointments",
        headers=world.token(*ZHANG, act_for=ORG[0]),
        json={"slot_id": slot.id, "item": demo.RESTAURANT},
    )
    assert full.status_code == 409 and full.json()["error"] == "slot_unavailable"

    app = world.client.post(
        "/api/applications",
        headers=applicant,
        json={
            "item": demo.RESTAURANT,
            "appointment_id": booked.json()["id"],
            "form": {"opening_form": {"address": "人民路 1 号", "seats": 20, "opening_date": "2026-06-01"}},
        },
    ).json()
    assert app["appointment"]["centre"] == "HALL-EAST" and app["appointment"]["status"] == "booked"

    cancelled = world.client.delete(f"/api/appointments/{booked.json()['id']}", headers=applicant)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    world.session.expire_all()
    assert world.session.get(AppointmentSlot, slot.id).booked == 0  # type: ignore[union-attr]
    assert (
        world.client.get(f"/api/applications/{app['serial']}", headers=applicant).json()["appointment"]
        is None
    )


def test_dashboard_figures(world: World) -> None:
    _licensed(world)
    applicant = world.token(*ZHANG, act_for=ORG[0])
    serial = world.client.post(
        "/api/applications",
        headers=applicant,
        json={
            "item": demo.RESTAURANT,
            "form": {"opening_form": {"address": "人民路 1 号", "seats": 20, "opening_date": "2026-06-01"}},
        },
    ).json()["serial"]
    world.clock.now = datetime(2026, 3, 4, 2, tzinfo=UTC)  # Wednesday: two working days later
    for dept in (demo.MARKET_REGULATION, demo.APPROVAL_BUREAU):
        r = world.client.post(
            f"/api/applications/{serial}/review",
            json={"decision": "approve"},
            headers=world.token(*WANG, roles=(f"approver:{dept}",)),
        )
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["result"]["license_identifier"] is None
    dash = world.client.get(
        "/api/dashboard/applications", headers=world.token(*WANG, roles=("admin",))
    ).json()
    item = next(i for i in dash["items"] if i["code"] == demo.RESTAURANT)
    assert item["applications"] == 1 and item["concluded"] == 1
    assert item["average_working_days"] == 2 and item["time_limit_days"] == 5
    assert item["materials_reused"] == 2 and item["materials_provided"] == 0
    assert item["concluded_without_visit"] == 1 and item["overdue"] == 0
