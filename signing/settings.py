"""Settings of `signing` that the platform-wide ``Settings`` does not carry (``ONENUMBER_PKCS11_*``,
``ONENUMBER_VERIFY_*``)."""

from __future__ import annotations

from pydantic import Field

from core.settings import PlatformSettings


class SigningSettings(PlatformSettings):
    """Where seal keys live when they are kept in an HSM (PKCS#11); the PDF worker pool (signing/workers.py).
    Like every setting, each may also come from a file (``ONENUMBER_PKCS11_USER_PIN_FILE``, core/settings.py)."""

    pkcs11_module: str | None = None  # e.g. /usr/lib/softhsm/libsofthsm2.so
    pkcs11_token_label: str | None = None
    pkcs11_user_pin: str | None = None

    # PDF verification runs in worker processes, one pool per server process (signing/workers.py).
    verify_workers: int = Field(default=0, ge=0)  # 0: min(2, CPU count)
    verify_queue_limit: int = Field(default=16, ge=0)  # jobs waiting beyond the running ones; then 503
    verify_time_budget: float = Field(default=20.0, gt=0)  # seconds per file; then verification_timeout
    verify_worker_memory_mb: int = Field(default=1024, ge=0)  # address-space cap per worker; 0: none
