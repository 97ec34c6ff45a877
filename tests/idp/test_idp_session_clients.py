"""Clients noted on an SSO session (the back-channel logout targets): once each, whatever the repeats."""

from __future__ import annotations

from sqlalchemy import func, select

from core.runtime import runtime_of
from idp import sessions as sso
from idp.oauth.models import SessionClient
from idp.parties import service as party_service
from tests.helpers.idp_helpers import RP, ZHANG


def test_noting_a_client_twice_keeps_one_row(seeded) -> None:  # type: ignore[no-untyped-def]
    settings = runtime_of(seeded).settings
    with runtime_of(seeded).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=settings, number=ZHANG[0])
        assert person is not None
        row, _ = sso.create(session=session, person=person, amr=["pwd"])
        other, _ = sso.create(session=session, person=person, amr=["pwd"])
        session.commit()
        for _ in range(2):
            sso.note_client(session=session, sid=row.sid, client_id=RP)
            session.commit()
        assert sso.clients_of(session=session, sid=row.sid) == [RP]
        assert sso.clients_of(session=session, sid=other.sid) == []
        count = session.scalar(select(func.count()).select_from(SessionClient).where(SessionClient.sid == row.sid))
        assert count == 1
