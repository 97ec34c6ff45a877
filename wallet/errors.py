"""Errors of `wallet`: each carries its wire code and HTTP status."""

from __future__ import annotations


class WalletError(Exception):
    """Base error of `wallet`; rendered as ``{"error": code, "detail": message, "field": field}``."""

    code = "invalid_request"
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        if code is not None:
            self.code = code
