"""Applications: submit with one number, accept (online or at a counter), route, follow progress.

The entry points the channels, the API and the operations tools call, gathered in one place; the work is
done in :mod:`submission` (一号申请), :mod:`acceptance` (受理, 内部流转), :mod:`access` (who may see an
application), :mod:`records` (its serial number, codes, timeline and materials) and :mod:`progress` (the
public progress query).
"""

from __future__ import annotations

from wallet.applications.acceptance import accept
from wallet.applications.access import (
    get_by_serial,
    list_mine,
    require_for_applicant,
    require_for_counter,
    require_visible,
)
from wallet.applications.progress import public_status
from wallet.applications.records import (
    NUMBER_CONTEXT,
    QUERY_CODE_CONTEXT,
    applicant_number,
    event,
    next_serial,
    query_code,
    record_materials,
    timeline,
)
from wallet.applications.submission import GREEN_CHANNEL_REASONS, Submission, submit

__all__ = [
    "GREEN_CHANNEL_REASONS",
    "NUMBER_CONTEXT",
    "QUERY_CODE_CONTEXT",
    "Submission",
    "accept",
    "applicant_number",
    "event",
    "get_by_serial",
    "list_mine",
    "next_serial",
    "public_status",
    "query_code",
    "record_materials",
    "require_for_applicant",
    "require_for_counter",
    "require_visible",
    "submit",
    "timeline",
]
