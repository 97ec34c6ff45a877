"""Platform settings, read from ``ONENUMBER_*`` environment variables (pydantic-settings), or from files.

Secrets are files in production (docker / Kubernetes secrets under ``/run/secrets``), so every setting can be
given three ways, the first that is present winning:

1. ``ONENUMBER_<NAME>``: the value itself;
2. ``ONENUMBER_<NAME>_FILE``: a file whose content, stripped of surrounding whitespace, is the value. Setting
   both 1 and 2 is an error naming both variables (one of them is stale); so is a file that cannot be read
   or is empty;
3. ``ONENUMBER_SECRETS_DIR``: a directory of files named like the variables in lower case
   (``onenumber_secret_key``), the defaults for what 1 and 2 leave unset (pydantic-settings' ``secrets_dir``).
   A directory that does not exist is an error.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

DEFAULT_SECRET_KEY = "dev-only-master-key-change-me"
DEFAULT_S3_ACCESS_KEY = "onenumber"
DEFAULT_S3_SECRET_KEY = "onenumber-dev-secret"
VAR_DIR = Path("var")
SECRETS_DIR_VARIABLE = "ONENUMBER_SECRETS_DIR"


def read_setting_file(path: str, *, variable: str) -> str:
    """The stripped content of the file ``variable`` names; a SettingsError naming ``variable`` if it cannot
    be read or is empty."""
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise SettingsError(f"{variable} names {path}, which cannot be read ({reason})") from exc
    if not value:
        raise SettingsError(f"{variable} names {path}, which is empty")
    return value


class FileVariables(PydanticBaseSettingsSource):
    """``ONENUMBER_<NAME>_FILE=path``: the setting ``<name>`` is the file's stripped content."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is done in __call__ (one pass over the fields)

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.config.get("env_prefix") or "")
        values: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            variable = f"{prefix}{name}".upper()
            path = os.environ.get(f"{variable}_FILE")
            if path is None:
                continue
            if variable in os.environ:
                raise SettingsError(f"both {variable} and {variable}_FILE are set; set one of them")
            values[name] = read_setting_file(path, variable=f"{variable}_FILE")
        return values


class PlatformSettings(BaseSettings):
    """Base of every settings class of the platform: prefix ``ONENUMBER_``, values also from files (see the
    module docstring)."""

    model_config = SettingsConfigDict(env_prefix="ONENUMBER_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings, FileVariables(settings_cls), dotenv_settings]
        secrets_dir = os.environ.get(SECRETS_DIR_VARIABLE)
        if secrets_dir:
            if not Path(secrets_dir).is_dir():  # pydantic-settings would only warn: a typo must not pass
                raise SettingsError(f"{SECRETS_DIR_VARIABLE} names {secrets_dir}, which is not a directory")
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir))
        return tuple(sources)


class Settings(PlatformSettings):
    """Every setting of the platform; see the README's configuration table."""

    env: Literal["development", "production"] = "development"
    database_url: str = f"sqlite:///{VAR_DIR / 'onenumber.db'}"
    # The direct PostgreSQL URL of the LISTEN connection of cross-instance invalidation (core/invalidation.py)
    # when database_url points at a pooler in transaction mode (PgBouncer), which does not carry LISTEN;
    # empty = database_url.
    listen_url: str = Field(default="", repr=False)
    # The engine's pool per server process (core/db.py): one connection per Starlette worker thread (40)
    # plus overflow for background work; seconds a request waits for a free connection before it is
    # answered 503 (docs/DEPLOY.md "Connections").
    db_pool_size: int = Field(default=40, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)
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
    # Two-phase key rotation (idp/keys/service.py): a new signing key is in JWKS this many seconds before any
    # instance signs with it, so every cached JWKS — a client's (HTTP max-age jwks_cache_seconds) and each
    # instance's key ring — holds it first. Must exceed jwks_cache_seconds.
    key_publish_seconds: int = 120
    jwks_cache_seconds: int = 60
    worklog_seal_interval: float = 1.0
    # Abuse limits per client address and minute (core/ratelimit.py); 0 turns a limit off.
    rate_limit_verify_per_minute: int = 60
    rate_limit_status_per_minute: int = 120
    rate_limit_login_per_minute: int = 30
    # Anonymous requests that each create a row (hall login start, device authorization, registration…).
    rate_limit_create_per_minute: int = 30
    # Where the limits' buckets live (core/limiter.py): redis://[:password@]host:6379/0 shares them between
    # instances; empty = in each process (N instances allow N× the limits).
    redis_url: str = Field(default="", repr=False)
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
    # Observability (core/metrics.py, core/logs.py): who may read /metrics (CIDRs, comma-separated; "" =
    # nobody), the log format ("" = text in development, json in production), OpenTelemetry tracing (needs
    # opentelemetry-sdk installed).
    metrics_allow: str = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
    log_format: Literal["", "json", "text"] = ""
    otel: bool = False

    @model_validator(mode="after")
    def _publish_before_signing(self) -> Settings:
        if self.jwks_cache_seconds < 0 or self.key_publish_seconds <= self.jwks_cache_seconds:
            raise ValueError(
                "ONENUMBER_KEY_PUBLISH_SECONDS must exceed ONENUMBER_JWKS_CACHE_SECONDS (a new key must be "
                "in every cached JWKS before tokens are signed with it)"
            )
        return self

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
    def listen_dsn(self) -> str:
        """The URL the invalidation listener connects to: ``listen_url``, else ``database_url``."""
        return self.listen_url or self.database_url

    @property
    def log_json(self) -> bool:
        """True when logs are JSON lines (``log_format``, by default json in production only)."""
        return self.log_format == "json" or (self.log_format == "" and self.env == "production")

    @property
    def is_development(self) -> bool:
        """True on the embedded development default."""
        return self.env == "development"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
