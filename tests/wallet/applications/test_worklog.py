"""Every step is in the work log; editing one row makes `onenumber worklog verify` fail at that row."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from core.settings import get_settings
from core.worklog.models import WorkLogEntry
from onenumber.cli import main
from wallet.applications import seed as demo

from .conftest import ORG, WANG, ZHANG, World


def test_edited_row_breaks_verification(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("business_license", ORG[0], ORG[1], {"name": ORG[1]}, date(2024, 6, 1))
    world.issue("food_permit", ORG[0], ORG[1], {"operator": ORG[1]}, date(2025, 6, 1))
    serial = world.client.post(
        "/api/applications",
        headers=world.token(*ZHANG, act_for=ORG[0]),
        json={
            "item": demo.RESTAURANT,
            "form": {"opening_form": {"address": "人民路 1 号", "seats": 20, "opening_date": "2026-06-01"}},
        },
    ).json()["serial"]
    world.client.post(
        f"/api/applications/{serial}/review",
        json={"decision": "reject", "reasons": ["选址不符"]},
        headers=world.token(*WANG, roles=(f"approver:{demo.APPROVAL_BUREAU}",)),
    )
    monkeypatch.setenv("ONENUMBER_DATABASE_URL", world.settings.database_url)
    get_settings.cache_clear()
    entries = (
        world.session.execute(
            select(WorkLogEntry)
            .where(WorkLogEntry.object == f"application:{serial}")
            .order_by(WorkLogEntry.seq)
        )
        .scalars()
        .all()
    )
    assert [e.action for e in entries] == [
        "wallet.application.submit",
        "wallet.application.accept",
        "wallet.application.reject",
        "wallet.application.conclude",
    ]
    assert main(["worklog", "verify"]) == 0

    target = next(e for e in entries if e.action == "wallet.application.reject")
    world.session.execute(
        update(WorkLogEntry)
        .where(WorkLogEntry.seq == target.seq)
        .values(details={**target.details, "reasons": ["（已篡改）"]})
    )
    world.session.commit()
    capsys.readouterr()

    assert main(["worklog", "verify"]) == 1
    assert f"BROKEN at entry {target.seq}" in capsys.readouterr().out
