"""Appointment limits (issue 15): one live booking per item and holder, a daily cap per person, a slot never
over capacity — also when bookings and cancellations race (SQLite and PostgreSQL); refusals change nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from core.db import make_sessionmaker
from core.runtime import runtime_of
from core.worklog.models import WorkLogEntry
from wallet.applications import appointments
from wallet.applications import seed as demo
from wallet.applications.models import Appointment, AppointmentSlot
from wallet.errors import WalletError
from wallet.services import service as items_service

from .conftest import LI, MONDAY, WANG, ZHANG, World


def _slots(world: World, n: int, *, capacity: int = 1, code: str = "HALL-EAST") -> list[int]:
    centre = appointments.get_centre(session=world.session, code=code) or appointments.create_centre(
        session=world.session, code=code, name="东城区政务服务中心"
    )
    starts = [MONDAY + timedelta(days=1, hours=i) for i in range(n)]
    ids = [s.id for s in appointments.add_slots(session=world.session, centre=centre, starts=starts,
                                                capacity=capacity)]
    world.session.commit()
    return ids


def _book(world: World, person: tuple[str, str], slot_id: int, item: str = demo.ELDERLY_CARD) -> Any:
    return world.client.post("/api/appointments", headers=world.token(*person), json={"slot_id": slot_id,
                                                                                      "item": item})


def _state(world: World) -> tuple[int, list[int], int]:
    """Bookings, places taken per slot, work-log entries: what a refusal must leave alone."""
    world.session.expire_all()
    booked = list(world.session.scalars(select(AppointmentSlot.booked).order_by(AppointmentSlot.id)))
    return world.count(Appointment), booked, world.count(WorkLogEntry)


def test_one_live_booking_per_item_and_holder(world: World) -> None:
    first, second = _slots(world, 2, capacity=5)
    assert _book(world, ZHANG, first).status_code == 201
    before = _state(world)
    again = _book(world, ZHANG, second)
    assert again.status_code == 409, again.text
    body = again.json()
    assert body["error"] == "appointment_already_booked" and body["field"] == "item"
    assert "one live appointment per service item" in body["detail"] and "cancel it" in body["detail"]
    # booking every place of one slot alone is refused the same way
    assert _book(world, ZHANG, first).json()["error"] == "appointment_already_booked"
    assert _state(world) == before
    # another item, or another person, is a separate booking
    assert _book(world, ZHANG, second, item=demo.BIRTH_REGISTRATION).status_code == 201
    assert _book(world, LI, second).status_code == 201
    # once cancelled (or once its time has passed) the item can be booked again
    mine = world.session.scalars(select(Appointment.id).order_by(Appointment.id)).first()
    assert world.client.delete(f"/api/appointments/{mine}", headers=world.token(*ZHANG)).status_code == 200
    assert _book(world, ZHANG, second).status_code == 201


def test_a_past_booking_does_not_block_a_new_one(world: World) -> None:
    soon, later = _slots(world, 2, capacity=2)
    assert _book(world, ZHANG, soon).status_code == 201
    world.clock.now = MONDAY + timedelta(days=1, minutes=30)  # the first slot has started
    assert _book(world, ZHANG, later).status_code == 201


def test_daily_cap_per_person_counts_cancelled_bookings(world: World) -> None:
    assert world.settings.appointment_daily_limit == 3
    slots = _slots(world, 5, capacity=3)
    for slot in slots[:3]:
        made = _book(world, ZHANG, slot)
        assert made.status_code == 201, made.text
        gone = world.client.delete(f"/api/appointments/{made.json()['id']}", headers=world.token(*ZHANG))
        assert gone.status_code == 200
    before = _state(world)
    over = _book(world, ZHANG, slots[3])
    assert over.status_code == 409
    assert over.json()["error"] == "appointment_daily_limit" and over.json()["field"] == "slot_id"
    assert "at most 3 appointments a day per person" in over.json()["detail"]
    assert _state(world) == before
    assert _book(world, LI, slots[3]).status_code == 201  # someone else is not affected
    world.clock.now = MONDAY + timedelta(hours=15)  # the next day in China (01:00 on Tuesday)
    assert _book(world, ZHANG, slots[4]).status_code == 201


def test_the_daily_cap_is_a_setting(world: World) -> None:
    runtime_of(world.client.app).settings = world.settings.model_copy(update={"appointment_daily_limit": 1})
    slots = _slots(world, 2, capacity=2)
    assert _book(world, ZHANG, slots[0]).status_code == 201
    assert _book(world, ZHANG, slots[1], item=demo.BIRTH_REGISTRATION).json()["error"] == "appointment_daily_limit"


def _race(n: int, work: Callable[[int], None]) -> list[BaseException | None]:
    barrier = threading.Barrier(n)
    results: list[BaseException | None] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as exc:  # each outcome is asserted below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_bookings_never_pass_capacity(world: World) -> None:
    (slot,) = _slots(world, 1, capacity=3)
    item = items_service.get_item(session=world.session, code=demo.ELDERLY_CARD)
    assert item is not None
    factory = make_sessionmaker(world.session.get_bind())  # type: ignore[arg-type]

    def book(i: int) -> None:
        with factory() as s:
            appointments.book(session=s, holder_index=f"holder-{i}", actor=f"person:{i}",
                              item=s.merge(item), slot_id=slot, now=MONDAY)
            s.commit()

    results = _race(10, book)
    assert sum(r is None for r in results) == 3
    assert {getattr(r, "code", None) for r in results if r is not None} == {"slot_unavailable"}
    world.session.expire_all()
    assert world.session.get(AppointmentSlot, slot).booked == 3  # type: ignore[union-attr]
    assert world.count(Appointment) == 3


def test_one_person_booking_many_slots_at_once_gets_one(world: World) -> None:
    slots = _slots(world, 6, capacity=2)
    item = items_service.get_item(session=world.session, code=demo.ELDERLY_CARD)
    assert item is not None
    factory = make_sessionmaker(world.session.get_bind())  # type: ignore[arg-type]

    def book(i: int) -> None:
        with factory() as s:
            appointments.book(session=s, holder_index="one-holder", actor="person:one", item=s.merge(item),
                              slot_id=slots[i], now=MONDAY)
            s.commit()

    results = _race(6, book)
    assert sum(r is None for r in results) == 1, results
    assert all(isinstance(r, WalletError) and r.code == "appointment_already_booked" for r in results if r)
    world.session.expire_all()
    assert sum(world.session.scalars(select(AppointmentSlot.booked))) == 1
    assert world.count(Appointment) == 1


def test_cancelling_twice_at_once_frees_one_place(world: World) -> None:
    (slot,) = _slots(world, 1, capacity=2)
    made = _book(world, WANG, slot)
    assert made.status_code == 201
    factory = make_sessionmaker(world.session.get_bind())  # type: ignore[arg-type]

    def cancel(_: int) -> None:
        with factory() as s:
            booking = s.get(Appointment, made.json()["id"])
            assert booking is not None
            appointments.cancel(session=s, booking=booking, actor="person:x", now=MONDAY)
            s.commit()

    results = _race(2, cancel)
    assert sum(r is None for r in results) == 1, results
    world.session.expire_all()
    assert world.session.get(AppointmentSlot, slot).booked == 0  # type: ignore[union-attr]
    assert world.session.scalar(select(func.count()).select_from(Appointment)
                                .where(Appointment.status == "cancelled")) == 1
