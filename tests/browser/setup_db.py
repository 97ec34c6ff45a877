"""``tables``: create the tables the migrations do not cover yet (checkfirst) · ``seed-items``: the demo
service items (idempotent; a no-op once ``onenumber seed`` runs it)."""

from __future__ import annotations

import importlib
import sys

import onenumber.models  # noqa: F401
from onenumber.app import open_blob_store
from onenumber.db import Base, make_engine, make_sessionmaker
from onenumber.settings import get_settings

for optional in ("wallet.applications.tables", "wallet.web.models"):
    importlib.import_module(optional)

settings = get_settings()
engine = make_engine(settings.database_url)
if sys.argv[1] == "tables":
    Base.metadata.create_all(engine)
else:
    from wallet.applications import seed as applications_seed

    with make_sessionmaker(engine)() as session:
        for line in applications_seed.seed(
            session=session, settings=settings, blob_store=open_blob_store(settings)
        ):
            print(line)
        session.commit()
engine.dispose()
