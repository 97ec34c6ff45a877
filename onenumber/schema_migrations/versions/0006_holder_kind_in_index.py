"""holder kind in the holder index (issue 14.2): every holder index becomes holder_index(kind, number)

Data only, no schema change. A string can be valid both as a resident ID (GB 11643) and as a credit code
(GB 32100); with the index of the number alone a person who registered such a number held the organisation's
licenses. The indexes are keyed hashes (HMAC under ONENUMBER_SECRET_KEY), so SQL cannot recompute them: this
step does it in Python from the numbers the database holds (decrypted with the master key the data was
written with, read from the settings like the database URL), by the same code as ``onenumber keys
rotate-master`` (onenumber/reindex.py). It refuses, changing nothing, when a value does not decrypt (wrong
key) or an index belongs to no number the database holds. Hall web sessions end (their cached access tokens
carry the old indexes): holders sign in again. Downgrade computes the old index back the same way.

The step uses the models of the code base, as rotate-master does; a later revision that renames or drops
one of the columns of onenumber/reindex.py must keep this revision working (freeze the columns here).

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Callable

from alembic import op
from sqlalchemy.orm import Session

from core import worklog
from core.crypto import blind_index
from core.settings import get_settings
from onenumber import reindex

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _number_only(master_key: str) -> Callable[[str, str], str]:
    """The holder index before this revision: the number alone (the kind is ignored)."""
    return lambda _kind, number: blind_index(number.strip().upper(), master_key=master_key, context="holder-number")


def _run(*, to_kinded: bool) -> None:
    config = op.get_context().config
    key = (config.attributes.get("secret_key") if config else None) or get_settings().secret_key
    before, after = (_number_only(key), reindex.kinded(key)) if to_kinded else (reindex.kinded(key), _number_only(key))
    session = Session(bind=op.get_bind())
    try:
        counts = reindex.Reindex(session, master_key=key, old=before, new=after).run()
        counts["wallet_web_session (ended)"] = reindex.end_web_sessions(session)
        if any(counts.values()):  # an empty database (a fresh install) gets no entry
            worklog.append(
                session=session,
                actor="system",
                action="onenumber.holder_index." + ("kinded" if to_kinded else "unkinded"),
                object=f"schema:{revision}",
                details={"rows": sum(counts.values())},
            )
        session.flush()
    finally:
        session.close()


def upgrade() -> None:
    _run(to_kinded=True)


def downgrade() -> None:
    _run(to_kinded=False)
