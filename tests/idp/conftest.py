"""Fixtures of the idp tests."""

from __future__ import annotations

import pytest

from core.runtime import runtime_of


@pytest.fixture
def seeded(app):  # type: ignore[no-untyped-def]
    """The app with idp demo data loaded."""
    from idp.seed import seed

    with runtime_of(app).sessionmaker() as session:
        seed(session=session, settings=runtime_of(app).settings, blob_store=None)
        session.commit()
    return app
