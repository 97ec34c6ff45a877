"""Errors of `signing`: each carries its wire code and HTTP status."""

from __future__ import annotations

from core.wire import WireError


class SigningError(WireError):
    """Base error of `signing`; rendered as ``{"error": code, "detail": message, "field": field}``
    (constructor and wire shape: :class:`core.wire.WireError`)."""

    code = "invalid_request"
    status_code = 400


class InvalidDocument(SigningError):
    """The input is not a PDF we can work with (empty, malformed, encrypted)."""

    code = "invalid_document"


class UploadTooLarge(SigningError):
    """The upload is larger than ``upload_limit_bytes``."""

    code = "upload_too_large"
    status_code = 413


class UnknownCertificate(SigningError):
    """No certificate with this serial number exists in the platform PKI."""

    code = "unknown_certificate"
    status_code = 404


class InvalidParameter(SigningError):
    """A parameter (department code, level, purpose…) is not acceptable."""

    code = "invalid_parameter"


class KeyBackendError(SigningError):
    """The key backend (software keys, PKCS#11 token) failed."""

    code = "key_backend_error"
    status_code = 503


class SealingFailed(SigningError):
    """pyHanko refused to sign the document (e.g. the field is already signed or locked)."""

    code = "sealing_failed"
    status_code = 409


class UnsupportedMediaType(SigningError):
    """The request body has the wrong media type."""

    code = "unsupported_media_type"
    status_code = 415
