"""Errors of the identifier helpers: each names the rule that failed.

Messages never repeat the value checked (resident ID numbers are sensitive and errors end up in logs).
"""

from __future__ import annotations

__all__ = [
    "IdentifierError",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidLength",
]


class IdentifierError(ValueError):
    """Base error: ``rule`` names the failed rule (``length``, ``charset``, ``area``, ``checksum``, …)."""

    rule = "format"

    def __init__(self, detail: str, *, rule: str | None = None) -> None:
        if rule is not None:
            self.rule = rule
        self.detail = detail
        super().__init__(f"{detail} (rule: {self.rule})")


class InvalidFormat(IdentifierError):
    """The value has characters or a structure the identifier never has."""

    rule = "charset"


class InvalidLength(IdentifierError):
    """The value has the wrong number of characters."""

    rule = "length"


class InvalidChecksum(IdentifierError):
    """A check character does not match the rest of the value."""

    rule = "checksum"


class InvalidComponent(IdentifierError):
    """A part of the value (area, birth date, authority, type, …) is not a real one."""

    rule = "component"
