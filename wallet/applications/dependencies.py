"""Dependencies of the applications API: the clock (frozen in tests through the runtime's ``clock``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from core.clock import utcnow
from core.runtime import runtime_of


def get_now(request: Request) -> datetime:
    """The current time, or the app's clock when one is set (deadline tests freeze it)."""
    clock = runtime_of(request).clock
    return clock() if clock is not None else utcnow()


NowDep = Annotated[datetime, Depends(get_now)]
