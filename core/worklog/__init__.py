"""The tamper-evident work log (工作日志): append-only, hash-chained."""

from core.worklog.models import WorkLogEntry, WorkLogHead
from core.worklog.service import (
    VerifyResult,
    append,
    contains_id_number,
    install_id_number_check,
    list_entries,
    seal,
    verify,
)

__all__ = [
    "WorkLogEntry",
    "WorkLogHead",
    "VerifyResult",
    "append",
    "contains_id_number",
    "install_id_number_check",
    "list_entries",
    "seal",
    "verify",
]
