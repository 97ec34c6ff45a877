"""Login throttle slots: free attempts, growing delays, the sliding window, release after a correct password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import utcnow
from idp.parties import throttle
from idp.parties.models import LoginThrottle

ACCOUNT, ADDRESS = "account:abc", "address:def"


class Clock:
    """The throttle's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    c = Clock()
    monkeypatch.setattr(throttle, "utcnow", c)
    return c


def _row(session, key: str) -> LoginThrottle:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)).one()


def test_free_attempts_then_each_waits_a_doubling_delay(session, settings, clock) -> None:  # type: ignore[no-untyped-def]
    limit = settings.login_max_failures
    for n in range(1, limit + 1):
        assert throttle.reserve(session=session, settings=settings, keys=[ACCOUNT, ADDRESS]).slots == {
            ACCOUNT: n,
            ADDRESS: n,
        }
        session.commit()
    for delay in (1, 2, 4, 8):
        with pytest.raises(throttle.LoginDelayed) as refused:
            throttle.reserve(session=session, settings=settings, keys=[ACCOUNT, ADDRESS])
        assert refused.value.retry_after == delay and refused.value.status_code == 429
        session.commit()
        assert _row(session, ADDRESS).failures == limit + delay.bit_length() - 1  # the refusal took no slot
        clock.advance(delay - 0.5)
        with pytest.raises(throttle.LoginDelayed):
            throttle.reserve(session=session, settings=settings, keys=[ACCOUNT])
        clock.advance(0.5)
        throttle.reserve(session=session, settings=settings, keys=[ACCOUNT, ADDRESS])
        session.commit()
    assert _row(session, ACCOUNT).failures == limit + 4


def test_delays_never_exceed_the_window_and_failures_decay(session, settings, clock) -> None:  # type: ignore[no-untyped-def]
    assert throttle.delay_for(100, settings) == settings.lockout_seconds
    for _ in range(settings.login_max_failures):
        throttle.reserve(session=session, settings=settings, keys=[ACCOUNT])
    session.commit()
    row = _row(session, ACCOUNT)
    assert row.locked_until is not None and row.locked_until == clock.now + timedelta(seconds=settings.lockout_seconds)
    clock.advance(settings.lockout_seconds)  # a whole window without an attempt: a fresh start
    assert throttle.reserve(session=session, settings=settings, keys=[ACCOUNT]).slots == {ACCOUNT: 1}


def test_release_clears_the_account_and_returns_the_address_slot(session, settings, clock) -> None:  # type: ignore[no-untyped-def]
    throttle.reserve(session=session, settings=settings, keys=[ACCOUNT, ADDRESS])
    session.commit()
    reservation = throttle.reserve(session=session, settings=settings, keys=[ACCOUNT, ADDRESS])
    assert reservation.slots == {ACCOUNT: 2, ADDRESS: 2}
    throttle.release(session=session, reservation=reservation)
    session.commit()
    assert (_row(session, ACCOUNT).failures, _row(session, ADDRESS).failures) == (0, 1)


def test_record_failure_names_the_next_wait(session, settings, clock) -> None:  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"login_max_failures": 2})
    first = throttle.reserve(session=session, settings=settings, keys=[ACCOUNT])
    assert throttle.record_failure(session=session, settings=settings, reservation=first) == 0
    second = throttle.reserve(session=session, settings=settings, keys=[ACCOUNT])
    assert throttle.record_failure(session=session, settings=settings, reservation=second) == 1


def test_a_suspicious_address_never_refuses_but_leaves_one_free_attempt_per_account(session, settings, clock) -> None:  # type: ignore[no-untyped-def]
    for i in range(throttle.limit_for(ADDRESS, settings)):
        throttle.reserve(session=session, settings=settings, keys=[f"account:sprayed-{i}", ADDRESS])
    session.commit()
    fresh = throttle.reserve(session=session, settings=settings, keys=["account:untouched", ADDRESS])
    assert fresh.slots["account:untouched"] == 1  # nobody tried this account: no wait
    with pytest.raises(throttle.LoginDelayed):
        throttle.reserve(session=session, settings=settings, keys=["account:sprayed-0", ADDRESS])
    # the same account from elsewhere still has its own free attempts
    assert throttle.reserve(session=session, settings=settings, keys=["account:sprayed-0"]).slots == {"account:sprayed-0": 2}
