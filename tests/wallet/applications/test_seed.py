"""The demo seed finds the seeded license types by issuer and name, and is idempotent."""

from __future__ import annotations

from wallet.applications import seed as demo
from wallet.applications.models import ServiceCentre
from wallet.services.models import ServiceItem

from .conftest import World


def test_seed_is_idempotent(world: World) -> None:
    assert demo.find_license_types(session=world.session) == world.types
    lines = demo.seed(session=world.session, settings=world.settings, blob_store=world.blob_store)
    assert [line.split()[2] for line in lines] == ["HALL-CITY", "HALL-EAST"]  # items and calendar exist
    assert demo.seed(session=world.session, settings=world.settings, blob_store=world.blob_store) == []
    assert world.count(ServiceItem) == 4 and world.count(ServiceCentre) == 2
