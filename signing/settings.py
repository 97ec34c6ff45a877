"""Settings of `signing` that the platform-wide ``Settings`` does not carry (``ONENUMBER_PKCS11_*``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class SigningSettings(BaseSettings):
    """Where seal keys live when they are kept in an HSM (PKCS#11)."""

    model_config = SettingsConfigDict(env_prefix="ONENUMBER_", extra="ignore")

    pkcs11_module: str | None = None  # e.g. /usr/lib/softhsm/libsofthsm2.so
    pkcs11_token_label: str | None = None
    pkcs11_user_pin: str | None = None
