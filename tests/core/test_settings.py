"""Settings: production refuses development secrets and names the variable."""

import pytest
from pydantic import ValidationError

from core.settings import DEFAULT_SECRET_KEY, Settings


def test_development_accepts_defaults() -> None:
    s = Settings(env="development")
    assert s.secret_key == DEFAULT_SECRET_KEY
    assert s.is_development


def test_production_refuses_default_master_key() -> None:
    with pytest.raises(ValidationError, match="ONENUMBER_SECRET_KEY"):
        Settings(env="production", s3_secret_key="s" * 40, issuer="https://x.example")


def test_production_refuses_default_s3_secret() -> None:
    with pytest.raises(ValidationError, match="ONENUMBER_S3_SECRET_KEY"):
        Settings(env="production", secret_key="k" * 40, issuer="https://x.example")


def test_production_requires_https_issuer() -> None:
    with pytest.raises(ValidationError, match="ONENUMBER_ISSUER"):
        Settings(env="production", secret_key="k" * 40, s3_secret_key="s" * 40, issuer="http://x.example")


def test_production_with_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONENUMBER_ENV", "production")
    monkeypatch.setenv("ONENUMBER_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("ONENUMBER_S3_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("ONENUMBER_ISSUER", "https://id.example.gov.cn")
    s = Settings()
    assert s.env == "production" and not s.is_development
