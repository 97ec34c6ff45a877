"""Composition root: settings, database, work log, encryption at rest, CLI and the app factory.

Importing the package wires the kernel's hooks, so that every process built on it (the app, the CLI,
Alembic, the tests) runs with them: the work log confirms ID-number candidates with the precise resident
ID validator (core/worklog/service.py says why the kernel cannot import it itself).
"""

from core.worklog import install_id_number_check
from identifiers import ric

install_id_number_check(ric.is_valid)

__all__: list[str] = []
