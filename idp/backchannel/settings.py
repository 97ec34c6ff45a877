"""Settings of the back-channel logout outbox (``ONENUMBER_BACKCHANNEL_*``); docs/DEPLOY.md "Back-channel
logout" says how to choose them."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from core.settings import PlatformSettings


class BackchannelSettings(PlatformSettings):
    """How logout tokens are delivered to relying parties (idp/backchannel/outbox.py)."""

    # Seconds between each instance's look for due deliveries; 0 turns the loop off (tests, CLI-only hosts).
    backchannel_poll_interval: float = Field(default=2.0, ge=0)
    # Seconds one POST may take (connect, send, read each).
    backchannel_timeout: float = Field(default=5.0, gt=0)
    # A claimed row is not claimed again for this long: an instance that dies mid-POST leaves it to the
    # others after this (must exceed a batch's POSTs, a few timeouts).
    backchannel_lease: float = Field(default=60.0, gt=0)
    # Backoff after a failed attempt: retry_base seconds doubling to retry_max, ±25 % jitter.
    backchannel_retry_base: float = Field(default=5.0, gt=0)
    backchannel_retry_max: float = Field(default=3600.0, gt=0)
    # Then the row is dead (a dead letter for `onenumber logout-deliveries`): after this many attempts or
    # this many seconds since the logout, whichever comes first.
    backchannel_max_attempts: int = Field(default=40, ge=1)
    backchannel_give_up_after: float = Field(default=24 * 3600.0, gt=0)
    # Delivered rows are purged after this many seconds (onenumber purge); dead ones after keep_dead.
    backchannel_keep_delivered: float = Field(default=7 * 24 * 3600.0, ge=0)
    backchannel_keep_dead: float = Field(default=30 * 24 * 3600.0, ge=0)


@lru_cache
def get_backchannel_settings() -> BackchannelSettings:
    """The process-wide back-channel settings (read once, like ``core.settings.get_settings``)."""
    return BackchannelSettings()
