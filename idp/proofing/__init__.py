"""Identity proofing (实名认证): providers behind one Protocol, the simulator, the platform's flow.

``api`` holds the contract (``ProofingProvider``, ``Challenge``, ``Verdict``, errors), ``answer`` the signed
answer format, ``http`` the adapter for a national trusted-identity service, ``simulator`` a stand-alone
provider for tests and the demo, ``service`` and ``router`` the platform's side.
"""

from idp.proofing.api import (
    Challenge,
    ProofingError,
    ProofingProvider,
    ProofingRefused,
    ProofingUnavailable,
    Verdict,
    WrongCode,
)

__all__ = [
    "Challenge",
    "ProofingError",
    "ProofingProvider",
    "ProofingRefused",
    "ProofingUnavailable",
    "Verdict",
    "WrongCode",
]
