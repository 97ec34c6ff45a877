"""Settings from files, as docker secrets give them: ``ONENUMBER_X_FILE`` and ``ONENUMBER_SECRETS_DIR``
(core/settings.py). A value in both a variable and a file is refused naming both; a file that cannot be
read names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import SettingsError

from core.settings import DEFAULT_SECRET_KEY, Settings
from signing.settings import SigningSettings

MASTER_KEY = "master-key-from-a-secret-file-0123456789"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SECRET_KEY",
        "DATABASE_URL",
        "LISTEN_URL",
        "S3_ACCESS_KEY",
        "S3_SECRET_KEY",
        "DB_POOL_SIZE",
        "PKCS11_USER_PIN",
        "SECRETS_DIR",
    ):
        monkeypatch.delenv(f"ONENUMBER_{name}", raising=False)
        monkeypatch.delenv(f"ONENUMBER_{name}_FILE", raising=False)


def _file(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_each_variable_of_the_compose_file_is_read_from_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the *_FILE variables docker-compose.yml sets, each with the trailing newline `echo` or an editor leaves
    given = {
        "DATABASE_URL": "postgresql://onenumber:pw@pgbouncer:6432/onenumber",
        "LISTEN_URL": "postgresql://onenumber:pw@postgres:5432/onenumber",
        "S3_ACCESS_KEY": "onenumber-app",
        "S3_SECRET_KEY": "s3-secret-from-a-file-0123456789abcdef",
        "SECRET_KEY": MASTER_KEY,
    }
    for name, value in given.items():
        monkeypatch.setenv(f"ONENUMBER_{name}_FILE", str(_file(tmp_path, name.lower(), f"  {value}\n\n")))
    monkeypatch.setenv("ONENUMBER_ENV", "production")
    monkeypatch.setenv("ONENUMBER_ISSUER", "https://id.example.gov.cn")
    settings = Settings()
    assert settings.database_url == given["DATABASE_URL"]
    assert settings.listen_url == settings.listen_dsn == given["LISTEN_URL"]
    assert settings.s3_access_key == given["S3_ACCESS_KEY"]
    assert settings.s3_secret_key == given["S3_SECRET_KEY"]
    assert settings.secret_key == MASTER_KEY  # production's checks see the file's value (not the default)
    assert MASTER_KEY not in repr(settings) and "pw@postgres" not in repr(settings)


def test_a_file_gives_typed_settings_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONENUMBER_DB_POOL_SIZE_FILE", str(_file(tmp_path, "pool", "12\n")))
    assert Settings().db_pool_size == 12


def test_variable_and_file_together_are_refused_naming_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONENUMBER_SECRET_KEY", MASTER_KEY)
    monkeypatch.setenv("ONENUMBER_SECRET_KEY_FILE", str(_file(tmp_path, "key", MASTER_KEY)))
    with pytest.raises(SettingsError, match="both ONENUMBER_SECRET_KEY and ONENUMBER_SECRET_KEY_FILE are set"):
        Settings()


def test_a_missing_file_is_an_error_naming_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "not-there"
    monkeypatch.setenv("ONENUMBER_SECRET_KEY_FILE", str(missing))
    with pytest.raises(SettingsError, match=f"ONENUMBER_SECRET_KEY_FILE names {missing}, which cannot be read"):
        Settings()


def test_an_unreadable_or_empty_file_is_an_error_naming_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONENUMBER_S3_SECRET_KEY_FILE", str(tmp_path))  # a directory, not a file
    with pytest.raises(SettingsError, match="ONENUMBER_S3_SECRET_KEY_FILE names .*, which cannot be read"):
        Settings()
    monkeypatch.setenv("ONENUMBER_S3_SECRET_KEY_FILE", str(_file(tmp_path, "blank", " \n")))
    with pytest.raises(SettingsError, match="ONENUMBER_S3_SECRET_KEY_FILE names .*blank, which is empty"):
        Settings()


def test_a_secrets_directory_gives_defaults_below_variables_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "run-secrets"
    secrets.mkdir()
    _file(secrets, "onenumber_secret_key", MASTER_KEY + "\n")
    _file(secrets, "onenumber_s3_secret_key", "from-the-directory")
    _file(secrets, "onenumber_database_url", "postgresql://u:p@from-the-directory/db")
    monkeypatch.setenv("ONENUMBER_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("ONENUMBER_S3_SECRET_KEY", "from-the-variable")
    monkeypatch.setenv("ONENUMBER_DATABASE_URL_FILE", str(_file(tmp_path, "direct", "postgresql://u:p@direct/db")))
    settings = Settings()
    assert settings.secret_key == MASTER_KEY
    assert settings.s3_secret_key == "from-the-variable"
    assert settings.database_url == "postgresql://u:p@direct/db"


def test_a_secrets_directory_that_does_not_exist_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONENUMBER_SECRETS_DIR", str(tmp_path / "typo"))
    with pytest.raises(SettingsError, match="ONENUMBER_SECRETS_DIR names .*typo, which is not a directory"):
        Settings()


def test_without_files_nothing_changes() -> None:
    settings = Settings()
    assert settings.secret_key == DEFAULT_SECRET_KEY
    assert settings.listen_url == "" and settings.listen_dsn == settings.database_url


def test_other_packages_settings_read_files_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONENUMBER_PKCS11_USER_PIN_FILE", str(_file(tmp_path, "pin", "123456\n")))
    assert SigningSettings().pkcs11_user_pin == "123456"
