"""Who delivers the outbox (outbox.py): a first attempt right after the logout commits (today's latency),
and a loop in every instance's lifespan that retries what is due, from any instance's logouts."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.runtime import Runtime
from idp.backchannel import outbox
from idp.backchannel.settings import BackchannelSettings, get_backchannel_settings
from idp.keys.service import KeyRing
from idp.tokens import keyring_for

log = logging.getLogger(__name__)
BATCH = 8  # rows claimed at once; sent in parallel, so a batch takes about one timeout at worst
ROUNDS = 16  # batches per wake-up at most, then the loop sleeps (a backlog drains over a few wake-ups)
_EXECUTOR = ThreadPoolExecutor(max_workers=BATCH, thread_name_prefix="idp-backchannel")


def _attempt(
    factory: sessionmaker[Session], claimed: outbox.Claim, keyring: KeyRing, settings: BackchannelSettings
) -> str:
    error = outbox.send(claimed, keyring=keyring, timeout=settings.backchannel_timeout)
    with factory() as session:
        return outbox.record(session=session, claimed=claimed, error=error, settings=settings)


def deliver_rows(
    engine: Engine, ids: list[int], *, keyring: KeyRing, settings: BackchannelSettings | None = None
) -> bool:
    """Claim and send these rows now (the first attempt after a logout); True when all were delivered. A row
    another instance claimed first is its to send; a failure leaves the row to the retry loop."""
    settings = settings or get_backchannel_settings()
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        with factory() as session:
            claims = outbox.claim(session=session, lease=settings.backchannel_lease, ids=ids, limit=len(ids))
        outcomes = [_attempt(factory, c, keyring, settings) for c in claims]
    except SQLAlchemyError as exc:  # the rows wait for the retry loop
        log.warning("back-channel logout first attempt failed: %s", type(exc).__name__)
        return False
    except Exception:  # nobody reads this future: say what broke; the rows wait for the retry loop
        log.exception("back-channel logout first attempt failed")
        return False
    return len(claims) == len(ids) and all(o == outbox.DELIVERED for o in outcomes)


def submit(engine: Engine, ids: list[int], *, keyring: KeyRing) -> Future[bool]:
    """Run :func:`deliver_rows` in the background (after the logout's commit)."""
    return _EXECUTOR.submit(deliver_rows, engine, ids, keyring=keyring)


def deliver_due(
    factory: sessionmaker[Session], *, keyring: KeyRing, settings: BackchannelSettings, rounds: int = ROUNDS
) -> int:
    """Claim due rows in batches and send each batch in parallel; the rows delivered."""
    delivered = 0
    for _ in range(rounds):
        with factory() as session:
            claims = outbox.claim(session=session, lease=settings.backchannel_lease, limit=BATCH)
        outcomes = list(_EXECUTOR.map(lambda c: _attempt(factory, c, keyring, settings), claims))
        delivered += outcomes.count(outbox.DELIVERED)
        if len(claims) < BATCH:
            break
    return delivered


async def run_periodically(runtime: Runtime, settings: BackchannelSettings | None = None) -> None:
    """Deliver due rows every ``backchannel_poll_interval`` seconds, forever (the app's lifespan starts and
    cancels this); several instances share the work through the claims."""
    settings = settings or get_backchannel_settings()
    while True:
        await asyncio.sleep(settings.backchannel_poll_interval)
        try:
            await asyncio.to_thread(
                deliver_due, runtime.sessionmaker, keyring=keyring_for(runtime), settings=settings
            )
        except SQLAlchemyError as exc:  # the database may be briefly away; try again next round
            log.warning("back-channel logout delivery failed: %s", type(exc).__name__)
        except Exception:  # a fault in one round must not end deliveries for the life of the process
            log.exception("back-channel logout delivery round failed")
