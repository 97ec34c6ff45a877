"""Key backends: where private keys of seals live (encrypted software keys, or a PKCS#11 token).

:func:`backend_for` is the factory; the backends (software.py, pkcs11.py) import only the protocol (api.py).
"""

from __future__ import annotations

from signing.errors import KeyBackendError
from signing.keys.api import GeneratedKey, KeyBackend
from signing.keys.software import SoftwareKeyBackend
from signing.settings import SigningSettings

__all__ = ["GeneratedKey", "KeyBackend", "backend_for"]


def backend_for(name: str, *, master_key: str, settings: SigningSettings | None = None) -> KeyBackend:
    """The backend that stores keys of this kind (``software``: encrypted under ``master_key``; ``pkcs11``:
    configured by ``settings``, default ``SigningSettings()``: ``ONENUMBER_PKCS11_*``)."""
    if name == "software":
        return SoftwareKeyBackend(master_key=master_key)
    if name == "pkcs11":
        # Lazy: python-pkcs11 and pyhanko.sign.pkcs11 cost ~12 ms warm / ~30 ms cold (python -X importtime),
        # and only deployments with an HSM ever get here.
        from signing.keys.pkcs11 import Pkcs11KeyBackend

        return Pkcs11KeyBackend.from_settings(settings)
    raise KeyBackendError(f"unknown key backend {name!r}")
