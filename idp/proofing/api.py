"""The contract of an identity-proofing provider (实名认证): check name + resident ID + phone against the
authority, prove possession of the phone by an SMS code, and answer with a signed verdict.

Two steps, whatever the backend (``http.HttpProvider`` for a national trusted-identity service, the
simulator behind the same wire format for tests and the demo):

1. ``start(name, id_number, phone, nonce)``: the provider sends an SMS code to ``phone`` and returns a
   transaction id (it says nothing yet about whether the record matches: no enumeration by this call);
2. ``confirm(transaction, code, nonce)``: the provider checks the code and the record and returns a
   :class:`Verdict` whose signature, nonce and freshness the adapter has already checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from idp.errors import IdpError

LEVELS = ("substantial", "high")  # the levels a provider may vouch for; "low" is self-asserted


class ProofingError(IdpError):
    """Base error of identity proofing."""

    code = "proofing_failed"
    status_code = 502


class ProofingUnavailable(ProofingError):
    """No provider is configured, or it cannot be reached now."""

    code = "proofing_unavailable"
    status_code = 503


class ProofingRefused(ProofingError):
    """The provider's answer is not acceptable: bad signature, unknown key, wrong nonce, stale, malformed."""

    code = "proofing_invalid_answer"
    status_code = 502


class WrongCode(ProofingError):
    """The SMS code is wrong; ``attempts_left`` more tries on this transaction."""

    code = "wrong_code"
    status_code = 400

    def __init__(self, attempts_left: int) -> None:
        super().__init__("the SMS code is wrong", field="code")
        self.attempts_left = attempts_left


@dataclass(frozen=True)
class Challenge:
    """A started check: the provider sent an SMS code to the phone."""

    transaction: str
    expires_in: int


@dataclass(frozen=True)
class Verdict:
    """A verified answer of the provider."""

    match: bool
    level: str | None
    nonce: str
    transaction: str
    checked_at: datetime
    reason: str | None = None


class ProofingProvider(Protocol):
    """An identity-proofing provider."""

    name: str

    def start(self, *, name: str, id_number: str, phone: str, nonce: str) -> Challenge:
        """Ask the provider to check this person and send an SMS code to ``phone``."""
        ...

    def confirm(self, *, transaction: str, code: str, nonce: str) -> Verdict:
        """The provider's verified verdict once the person typed the SMS code."""
        ...
