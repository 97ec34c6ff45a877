"""Dependencies of the applications API: the clock (frozen in tests through ``app.state.clock``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from core.db import utcnow


def get_now(request: Request) -> datetime:
    """The current time, or the app's clock when one is set (deadline tests freeze it)."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


NowDep = Annotated[datetime, Depends(get_now)]
