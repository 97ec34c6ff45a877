"""Platform settings, read from ``ONENUMBER_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-only-master-key-change-me"
DEFAULT_S3_ACCESS_KEY = "onenumber"
DEFAULT_S3_SECRET_KEY = "onenumber-dev-secret"
VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Every setting of the platform; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="ONENUMBER_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = f"sqlite:///{VAR_DIR / 'onenumber.db'}"
    storage_url: str = f"file://{(VAR_DIR / 'blobs').resolve()}"
    s3_access_key: str = DEFAULT_S3_ACCESS_KEY
    s3_secret_key: str = Field(default=DEFAULT_S3_SECRET_KEY, repr=False)  # never in a repr (logs, tracebacks)
    issuer: str = "http://127.0.0.1:8000"
    secret_key: str = Field(default=DEFAULT_SECRET_KEY, repr=False)
    upload_limit_bytes: int = 10 * 1024 * 1024
    # Largest request body outside multipart uploads (JSON, forms, /token…); uploads get upload_limit_bytes
    # plus room for the multipart envelope (core/bodylimit.py).
    body_limit_bytes: int = 1024 * 1024
    # Behind a TLS-terminating balancer: the addresses whose X-Forwarded-For / -Proto are believed
    # (comma-separated, or "*"); empty = no proxy headers believed (direct clients).
    forwarded_allow_ips: str = ""
    access_token_ttl: int = 600
    refresh_token_ttl: int = 30 * 24 * 3600
    id_token_ttl: int = 600
    login_max_failures: int = 5
    lockout_seconds: int = 900
    # RFC 8628 (idp/oauth/device.py): tokens of the device grant (kiosks) live this long and are never
    # refreshed; wrong user codes one address may enter before each further one makes it wait; wrong user
    # codes entered while a device code is pending after which that device code is dead (§5.1).
    device_token_ttl: int = 300
    device_free_attempts: int = 5
    device_wrong_code_limit: int = 50
    key_rotation_days: int = 90
    worklog_seal_interval: float = 1.0
    # Abuse limits per client address and minute (core/ratelimit.py); 0 turns a limit off.
    rate_limit_verify_per_minute: int = 60
    rate_limit_status_per_minute: int = 120
    rate_limit_login_per_minute: int = 30
    # Anonymous requests that each create a row (hall login start, device authorization, registration…).
    rate_limit_create_per_minute: int = 30
    # New appointment bookings one person may make per calendar day (China time), cancelled ones included.
    appointment_daily_limit: int = 3
    # Seconds between runs of the purge of expired rows (onenumber/purge.py); 0 turns the schedule off.
    purge_interval: float = 300.0
    # Identity proofing (实名认证, idp/proofing): the provider's base URL (empty = not configured, accounts
    # stay self-asserted ``low``), and how its signed answers are checked: its JWKS URL or its public key
    # (a JWK as JSON, or PEM). Answers older than proofing_max_age seconds are refused.
    proofing_url: str = ""
    proofing_jwks_url: str = ""
    proofing_public_key: str = Field(default="", repr=False)
    proofing_timeout: float = 10.0
    proofing_max_age: int = 300
    # Registration attempts per resident ID and day (on top of the per-address create limit); 0 = off.
    register_daily_per_number: int = 3

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.env != "production":
            return self
        defaults = {
            "ONENUMBER_SECRET_KEY": (self.secret_key, DEFAULT_SECRET_KEY),
            "ONENUMBER_S3_SECRET_KEY": (self.s3_secret_key, DEFAULT_S3_SECRET_KEY),
        }
        for name, (value, default) in defaults.items():
            if value == default:
                raise ValueError(f"{name} is still the development default; set it for production")
        if len(self.secret_key) < 32:
            raise ValueError("ONENUMBER_SECRET_KEY must be at least 32 characters in production")
        if not self.issuer.startswith("https://"):
            raise ValueError("ONENUMBER_ISSUER must be an https:// URL in production")
        return self

    @property
    def is_development(self) -> bool:
        """True on the embedded development default."""
        return self.env == "development"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
