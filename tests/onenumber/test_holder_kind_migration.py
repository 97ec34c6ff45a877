"""Migration 0006 (issue 14.2): a database whose holder indexes are of the number alone (revision 0005) is
upgraded to indexes of kind and number by the same code as ``rotate-master`` (onenumber/reindex.py): every
holder keeps their wallet, and a person and an organisation who shared one index under the old scheme are told
apart by the rows (the license's holder kind); a row that cannot say is refused, nothing changed.

The old scheme is produced by the migration's own downgrade from a database seeded through the app at head
(only revision 0006 is run, up and down: later revisions are stamped, they are not this test's subject)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from core import worklog
from core.crypto import blind_index, decrypt_str, holder_index
from core.db import make_engine, make_sessionmaker
from core.runtime import runtime_of
from core.settings import Settings
from idp.parties.models import Person
from onenumber import migrations
from onenumber.reindex import RekeyError, index_columns
from tests.helpers.holder_kinds import BOTH, PERSON, REP, listed, make_collision, token_acting_for
from tests.helpers.ops_helpers import COMPANY, client_person_token, platform_app, seed
from wallet.applications.models import Document
from wallet.catalog import demo
from wallet.licenses.models import License
from wallet.licenses.service import HOLDER_NUMBER_CONTEXT

KEY = "migration-master-key-0123456789abcdef012345"


def _to_number_only(url: str) -> None:
    """Revision 0006's downgrade alone: the database's indexes become those of revision 0005."""
    cfg = migrations.alembic_config(url)
    command.stamp(cfg, "0006")
    command.downgrade(cfg, "0005")


def _to_kinded(url: str) -> None:
    """Revision 0006's upgrade alone, then back at head."""
    cfg = migrations.alembic_config(url)
    command.upgrade(cfg, "0006")
    command.stamp(cfg, "head")


def _old(number: str) -> str:
    """The holder index of revision 0005: the number alone."""
    return blind_index(number, master_key=KEY, context="holder-number")


def _holders(url: str) -> dict[str, tuple[str, str]]:
    """identifier → (holder kind, holder index) of every license."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(select(License.identifier, License.holder_kind, License.holder_index)).all()
            return {r.identifier: (r.holder_kind, r.holder_index) for r in rows}
    finally:
        engine.dispose()


def _wallets(app: Any, client: TestClient, refresh_token: str) -> dict[str, dict[str, str]]:
    person = client_person_token(TestClient(app), number=PERSON[1], password=PERSON[2])["access_token"]
    refreshed = client.post(
        "/token", data={"grant_type": "refresh_token", "client_id": "demo-app", "refresh_token": refresh_token}
    )
    assert refreshed.status_code == 200, refreshed.text
    return {
        "person": listed(client, person),
        "organisation": listed(client, token_acting_for(app, number=REP[1], credit_code=BOTH)),
        "zhang (refreshed)": listed(client, refreshed.json()["access_token"]),
        "demo company": listed(client, token_acting_for(app, number="11010519491231002X", credit_code=COMPANY[0])),
    }


def test_upgrade_from_number_only_indexes_keeps_every_wallet(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations.upgrade(database_url)
    settings = Settings(
        env="development",
        database_url=database_url,
        storage_url=f"file://{tmp_path / 'blobs'}",
        secret_key=KEY,
        issuer="http://testserver",
    )
    app = platform_app(settings, monkeypatch)  # the environment carries the key the migration reads
    seed(app)
    with TestClient(app) as client:
        card, business = make_collision(app, client)
        zhang = client_person_token(client)
        before = _wallets(app, client, zhang["refresh_token"])
    runtime_of(app).engine.dispose()
    assert before["person"] == {card: demo.ELDERLY_CARD} and business in before["organisation"]
    kinded = _holders(database_url)

    _to_number_only(database_url)
    old = _holders(database_url)
    assert old[card][1] == old[business][1] == _old(BOTH)  # the collision of the old scheme
    assert all(index == _old_of(database_url, identifier) for identifier, (_, index) in old.items())

    _to_kinded(database_url)
    assert _holders(database_url) == kinded
    assert kinded[card][1] == holder_index("person", BOTH, master_key=KEY)
    assert kinded[business][1] == holder_index("organization", BOTH, master_key=KEY)
    again = platform_app(settings, monkeypatch)
    with TestClient(again) as client:
        after = _wallets(again, client, zhang["refresh_token"])
    assert after["person"] == {card: demo.ELDERLY_CARD}
    assert business in after["organisation"] and card not in after["organisation"]
    assert after == before  # every wallet as before, a refresh token of before the migration included
    with runtime_of(again).sessionmaker() as session:
        assert worklog.verify(session=session).ok
        people = session.execute(select(Person.number_index)).scalars().all()
        assert holder_index("person", BOTH, master_key=KEY) in people
    runtime_of(again).engine.dispose()


def _old_of(url: str, identifier: str) -> str:
    """The number-only index of a license's holder number (decrypted from the row)."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            cipher = session.execute(select(License.holder_number_cipher).where(License.identifier == identifier)).scalar_one()
    finally:
        engine.dispose()
    return _old(decrypt_str(cipher, master_key=KEY, context=HOLDER_NUMBER_CONTEXT))


def test_a_shared_index_on_a_row_naming_no_kind_is_refused(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations.upgrade(database_url)
    settings = Settings(
        env="development",
        database_url=database_url,
        storage_url=f"file://{tmp_path / 'blobs'}",
        secret_key=KEY,
        issuer="http://testserver",
    )
    app = platform_app(settings, monkeypatch)
    seed(app)
    with TestClient(app) as client:
        make_collision(app, client)
    runtime_of(app).engine.dispose()
    _to_number_only(database_url)
    engine = make_engine(database_url)
    session = make_sessionmaker(engine)()
    # a document uploaded under the shared old index, used by no application: whose is it?
    session.add(
        Document(
            holder_index=_old(BOTH),
            doc_type="photo",
            name="照片",
            content_type="image/png",
            size=1,
            blob_key="0" * 64,
            trust="C",
            uploaded_by="person:x",
        )
    )
    session.commit()
    before = _holders(database_url)
    with pytest.raises(RekeyError, match="a person and an organisation share.*wallet_document.holder_index: 1"):
        _to_kinded(database_url)
    assert _holders(database_url) == before  # nothing changed
    session.execute(delete(Document))
    session.commit()
    session.close()
    engine.dispose()
    _to_kinded(database_url)
    assert _holders(database_url) != before


def test_every_index_column_names_where_its_kind_comes_from() -> None:
    names = {f"{c.attr.class_.__tablename__}.{c.attr.key}" for c in index_columns()}
    assert {"idp_person.number_index", "wallet_license.holder_index", "wallet_document.holder_index"} <= names
    assert all(c.kind is not None for c in index_columns())
