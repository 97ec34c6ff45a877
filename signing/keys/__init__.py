"""Key backends: where private keys of seals live (encrypted software keys, or a PKCS#11 token)."""

from signing.keys.api import GeneratedKey, KeyBackend, backend_for

__all__ = ["GeneratedKey", "KeyBackend", "backend_for"]
