"""RFC 7636 — Proof Key for Code Exchange, restricted to S256. https://www.rfc-editor.org/rfc/rfc7636

``plain`` is refused (RFC 9700 §2.1.1) and a challenge is required of public clients at /authorize.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only; required for public clients (checked at the authorization endpoint)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        request = grant.request
        data = request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        public = request.client is not None and request.client.is_public
        if not challenge and not method:
            if public:
                # RFC 7636 §4.4.1: the server requires PKCE of public clients.
                raise InvalidRequestError(
                    "PKCE is required: send code_challenge with code_challenge_method=S256"
                )
            return
        if method != "S256":
            # RFC 7636 §4.3 makes "plain" the default; we refuse it, explicit or implied.
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)
