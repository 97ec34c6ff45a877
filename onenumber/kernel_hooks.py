"""The kernel's hooks, installed explicitly by each entry point (the app factory, the CLI, Alembic).

The kernel imports no package of ours, so where it needs one it offers a hook and the composition root
fills it: the work log confirms ID-number candidates with the precise resident-ID validator
(core/worklog/service.py says why the kernel cannot import it itself). Nothing is installed on import:
:func:`onenumber.app.create_app`, :func:`onenumber.cli.main` and the Alembic environment call
:func:`install_kernel_hooks`; a process that calls none of them runs with the kernel's own, stricter check.
"""

from __future__ import annotations

from core.worklog import install_id_number_check
from identifiers import ric

__all__ = ["install_kernel_hooks"]


def install_kernel_hooks() -> None:
    """Install the kernel's hooks (idempotent): the work log's exact ID-number check, ``ric.is_valid``."""
    install_id_number_check(ric.is_valid)
