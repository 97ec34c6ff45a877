"""The base of every package's error, free of web imports (the command line loads it without FastAPI).

:func:`core.errors.wire_error_handler` renders it as ``{"error": code, "detail": message, "field": field}``.
"""

from __future__ import annotations

__all__ = ["WireError"]


class WireError(Exception):
    """Base of every package's error (IdpError, WalletError, SigningError, StorageError): a wire ``code``,
    an HTTP ``status_code`` and the ``field`` at fault, rendered by :func:`core.errors.wire_error_handler` as
    ``{"error": code, "detail": message, "field": field}``. Subclasses set their defaults as class
    attributes; the constructor may override each for one raise. ``headers`` (a class attribute or set by
    a subclass's constructor) go out with the answer."""

    code = "invalid_request"
    status_code = 400
    field: str | None = None
    headers: dict[str, str] | None = None

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
