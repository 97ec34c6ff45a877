"""HTTP adapter for a national trusted-identity service (国家网络身份认证 style), also spoken by the simulator.

Wire format (JSON over HTTPS):

- ``POST {base}/v1/checks`` ``{name, id_number, phone, nonce}`` → 201 ``{transaction, expires_in}``; the
  service sends an SMS code to ``phone``;
- ``POST {base}/v1/checks/{transaction}/confirm`` ``{code, nonce}`` → 200 ``{answer}`` (a JWS, see
  ``answer.py``), or 400 ``{error: "wrong_code", attempts_left}`` while tries remain;
- ``GET {jwks_url}`` → the service's public keys (or the key is given in settings).
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import quote

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.proofing import answer
from idp.proofing.api import Challenge, ProofingRefused, ProofingUnavailable, Verdict, WrongCode

JWKS_REFRESH_MIN = 60.0  # seconds between two JWKS fetches (an unknown kid triggers one)


class HttpProvider:
    """A proofing provider reached over HTTP; answers are verified with ``public_key`` or ``jwks_url``."""

    def __init__(
        self,
        base_url: str,
        *,
        jwks_url: str = "",
        public_key: str = "",
        timeout: float = 10.0,
        max_age: int = 300,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not jwks_url and not public_key:
            raise ProofingUnavailable("set ONENUMBER_PROOFING_JWKS_URL or ONENUMBER_PROOFING_PUBLIC_KEY")
        self.base_url = base_url.rstrip("/")
        self.name = self.base_url
        self.jwks_url = jwks_url
        self.max_age = max_age
        self._static = answer.load_keys(public_key) if public_key else None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            return self._client.post(self.base_url + path, json=body)
        except httpx.HTTPError as exc:
            raise ProofingUnavailable(f"the proofing provider cannot be reached ({type(exc).__name__})") from None

    def start(self, *, name: str, id_number: str, phone: str, nonce: str) -> Challenge:
        """Ask for a check; the provider sends the SMS code."""
        response = self._post("/v1/checks", {"name": name, "id_number": id_number, "phone": phone, "nonce": nonce})
        if response.status_code not in (200, 201):
            raise ProofingUnavailable(f"the proofing provider answered {response.status_code}")
        body = _json(response)
        transaction = body.get("transaction")
        if not isinstance(transaction, str) or not 1 <= len(transaction) <= 100:
            raise ProofingRefused("the proofing provider gave no transaction")
        expires_in = body.get("expires_in")
        return Challenge(transaction=transaction, expires_in=expires_in if isinstance(expires_in, int) else 300)

    def confirm(self, *, transaction: str, code: str, nonce: str) -> Verdict:
        """Send the SMS code; verify the signed answer (signature, issuer, nonce, freshness)."""
        response = self._post(f"/v1/checks/{quote(transaction, safe='')}/confirm", {"code": code, "nonce": nonce})
        body = _json(response)
        if response.status_code == 400 and body.get("error") == "wrong_code":
            left = body.get("attempts_left")
            raise WrongCode(left if isinstance(left, int) else 0)
        if response.status_code != 200 or not isinstance(body.get("answer"), str):
            raise ProofingUnavailable(f"the proofing provider answered {response.status_code}")
        token = body["answer"]
        try:
            verdict = answer.verify(token, keys=self._keyset(), issuer=self.base_url, nonce=nonce,
                                    max_age=self.max_age)
        except ProofingRefused:
            if self._static is not None:
                raise
            # The provider may have rotated its key: fetch the JWKS once more and try again.
            verdict = answer.verify(token, keys=self._keyset(refresh=True), issuer=self.base_url, nonce=nonce,
                                    max_age=self.max_age)
        if verdict.transaction != transaction:
            raise ProofingRefused("the proofing answer is for another transaction")
        return verdict

    def _keyset(self, *, refresh: bool = False) -> KeySet:
        if self._static is not None:
            return self._static
        with self._lock:
            stale = time.monotonic() - self._fetched_at > JWKS_REFRESH_MIN
            if self._keys is None or (refresh and stale):
                try:
                    response = self._client.get(self.jwks_url)
                    response.raise_for_status()
                    self._keys = KeySet.import_key_set(response.json())
                except (httpx.HTTPError, ValueError, KeyError, TypeError, JoseError) as exc:
                    raise ProofingUnavailable(
                        f"the proofing provider's JWKS cannot be read ({type(exc).__name__})"
                    ) from None
                self._fetched_at = time.monotonic()
            return self._keys


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ProofingUnavailable(f"the proofing provider answered {response.status_code} without JSON") from None
    if not isinstance(body, dict):
        raise ProofingUnavailable("the proofing provider answered with something other than an object")
    return body
