"""Fixtures of the idp tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def seeded(app):  # type: ignore[no-untyped-def]
    """The app with idp demo data loaded."""
    from idp.seed import seed

    with app.state.sessionmaker() as session:
        seed(session=session, settings=app.state.settings, blob_store=None)
        session.commit()
    return app
