"""Login throttle slots: reservation, lock expiry, release after a correct password."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from idp.parties import throttle
from idp.parties.models import LoginThrottle
from onenumber.db import utcnow

ACCOUNT, ADDRESS = "account:abc", "address:def"


def _row(session, key: str) -> LoginThrottle:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)).one()


def test_reserve_counts_until_the_limit_then_refuses(session, settings) -> None:  # type: ignore[no-untyped-def]
    limit = settings.login_max_failures
    for n in range(1, limit + 1):
        assert throttle.reserve(session=session, settings=settings, keys=[ACCOUNT, ADDRESS]) == {
            ACCOUNT: n,
            ADDRESS: n,
        }
        session.commit()
    assert throttle.reserve(session=session, settings=settings, keys=[ACCOUNT, ADDRESS]) is None
    session.commit()
    assert _row(session, ACCOUNT).failures == limit and _row(session, ACCOUNT).locked_until is None
    assert _row(session, ADDRESS).failures == limit  # the refused attempt took no slot


def test_lock_holds_until_it_expires_then_counts_afresh(session, settings) -> None:  # type: ignore[no-untyped-def]
    slots = throttle.reserve(session=session, settings=settings, keys=[ACCOUNT])
    assert slots == {ACCOUNT: 1}
    _row(session, ACCOUNT).locked_until = utcnow() + timedelta(minutes=5)
    session.commit()
    assert throttle.reserve(session=session, settings=settings, keys=[ACCOUNT]) is None
    session.commit()
    assert _row(session, ACCOUNT).failures == 1

    _row(session, ACCOUNT).locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert throttle.reserve(session=session, settings=settings, keys=[ACCOUNT]) == {ACCOUNT: 1}
    session.commit()
    row = _row(session, ACCOUNT)
    assert row.failures == 1 and row.locked_until is None


def test_release_clears_the_account_and_returns_the_address_slot(session, settings) -> None:  # type: ignore[no-untyped-def]
    throttle.reserve(session=session, settings=settings, keys=[ACCOUNT, ADDRESS])
    session.commit()
    slots = throttle.reserve(session=session, settings=settings, keys=[ACCOUNT, ADDRESS])
    assert slots == {ACCOUNT: 2, ADDRESS: 2}
    throttle.release(session=session, slots=slots)
    session.commit()
    assert (_row(session, ACCOUNT).failures, _row(session, ADDRESS).failures) == (0, 1)


def test_last_slot_failure_locks_the_key(session, settings) -> None:  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"login_max_failures": 2})
    throttle.reserve(session=session, settings=settings, keys=[ACCOUNT])
    slots = throttle.reserve(session=session, settings=settings, keys=[ACCOUNT])
    assert slots == {ACCOUNT: 2}
    assert throttle.record_failure(session=session, settings=settings, slots=slots) is True
    session.commit()
    locked_until = _row(session, ACCOUNT).locked_until
    assert locked_until is not None and locked_until > utcnow()
    assert throttle.reserve(session=session, settings=settings, keys=[ACCOUNT]) is None
