"""The kernel's seams (issue 13): one clock, one wire-error base, one CLI session, and the ID-number check
the composition root installs into the work log."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

import onenumber  # noqa: F401  (the composition root; tests/conftest.py installs its hooks, as create_app does)
from core import clock
from core.cli import cli_session
from core.errors import error_body
from core.settings import Settings
from core.wire import WireError
from core.worklog import install_id_number_check, service
from identifiers import ric
from identifiers.iso7064 import mod_11_2_check
from idp.errors import IdpError, InvalidField, InvalidToken
from signing.errors import SigningError, UploadTooLarge
from storage.errors import BlobNotFound, StorageError, StorageUnavailable
from wallet.errors import LicenseNotFound, NotAuthenticated, WalletError

ROOT = Path(__file__).resolve().parents[2]

# --- the clock ---------------------------------------------------------------------------------------


def test_china_date_turns_at_midnight_beijing_time() -> None:
    assert clock.CHINA_TZ.utcoffset(None) == timedelta(hours=8)
    assert clock.local_date(datetime(2026, 1, 31, 15, 59, tzinfo=UTC)) == date(2026, 1, 31)
    assert clock.local_date(datetime(2026, 1, 31, 16, 0, tzinfo=UTC)) == date(2026, 2, 1)
    assert clock.utcnow().tzinfo is UTC
    assert abs(clock.local_date() - datetime.now(clock.CHINA_TZ).date()) <= timedelta(days=1)


def test_every_china_zone_is_the_clocks() -> None:
    from channels import rendering
    from core import db
    from wallet.licenses import service as licenses
    from wallet.services import calendar

    assert rendering.CHINA is licenses.CHINA is calendar.CHINA_TZ is clock.CHINA_TZ
    assert licenses.local_date is calendar.local_date is clock.local_date
    assert not hasattr(db, "utcnow")  # one home: core.clock (no re-export)


# --- one wire-error base -----------------------------------------------------------------------------


@pytest.mark.parametrize("base", [IdpError, WalletError, SigningError, StorageError])
def test_package_errors_share_the_wire_base(base: type[WireError]) -> None:
    assert issubclass(base, WireError) and "__init__" not in vars(base)
    plain = base("no")
    assert plain.field is None and plain.headers is None and str(plain) == "no"
    custom = base("bad", field="x", code="custom", status_code=418)
    assert (custom.field, custom.code, custom.status_code) == ("x", "custom", 418)
    assert error_body(custom) == {"error": "custom", "detail": "bad", "field": "x"}
    assert base("no").code == base.code  # a per-raise code does not leak into the class


def test_wire_shapes_are_unchanged() -> None:
    assert (IdpError.code, IdpError.status_code, WalletError.code, SigningError.status_code) == (
        "invalid_request", 400, "invalid_request", 400)
    assert (StorageError.code, StorageError.status_code) == ("storage_error", 500)
    assert error_body(InvalidField("too long", field="name", rule="max")) == {
        "error": "invalid_field", "detail": "too long", "field": "name"}
    assert InvalidToken().headers == {
        "WWW-Authenticate": 'Bearer error="invalid_token", error_description="the access token is invalid"'}
    assert NotAuthenticated("x").headers == {"WWW-Authenticate": 'Bearer realm="onenumber"'}
    assert StorageUnavailable("down", endpoint="s3").headers == {"Retry-After": "10"}
    assert error_body(LicenseNotFound()) == {"error": "license_not_found", "detail": "no such license",
                                             "field": "identifier"}
    assert BlobNotFound("k" * 64).field == "key" and UploadTooLarge("big").status_code == 413


# --- one CLI session ---------------------------------------------------------------------------------


def _cli_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}")


def _rows(settings: Settings) -> list[int]:
    with cli_session(settings) as session:
        return list(session.execute(text("SELECT n FROM t ORDER BY n")).scalars())


def test_cli_session_commits_only_when_asked_and_only_on_success(tmp_path: Path) -> None:
    settings = _cli_settings(tmp_path)
    with cli_session(settings, commit=True) as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
    with cli_session(settings) as session:  # the command commits itself, or nothing is kept
        session.execute(text("INSERT INTO t VALUES (2)"))
    with pytest.raises(RuntimeError), cli_session(settings, commit=True) as session:
        session.execute(text("INSERT INTO t VALUES (3)"))
        raise RuntimeError("the command failed")
    assert _rows(settings) == [1]


# --- the work log's ID-number check ------------------------------------------------------------------


def _valid_ids() -> st.SearchStrategy[str]:
    """Valid resident ID numbers: a real province, a birth date, a sequence, the check character."""
    area = st.sampled_from(["110105", "310101", "440882", "650102", "820000"])
    born = st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31))
    body = st.builds(lambda a, d, s: f"{a}{d:%Y%m%d}{s:03d}", area, born, st.integers(0, 999))
    return body.map(lambda b: b + mod_11_2_check(b))


@given(_valid_ids())
def test_kernel_check_refuses_every_valid_id_number(number: str) -> None:
    assert ric.is_valid(number)
    assert service.plausible_resident_id(number) and service.plausible_resident_id(number.lower())


@given(st.from_regex(r"\A[1-9][0-9]{16}[0-9X]\Z"))
def test_kernel_check_is_never_weaker_than_the_precise_one(candidate: str) -> None:
    if ric.is_valid(candidate):
        assert service.plausible_resident_id(candidate)


def test_composition_root_installs_the_precise_check() -> None:
    assert service._confirm is ric.is_valid
    # checksum and birth date right, province 99 unknown: only the kernel's stricter check refuses it
    body = "99010519491231002"
    assert service.plausible_resident_id(body + mod_11_2_check(body))
    assert not service.contains_id_number("n " + body + mod_11_2_check(body))


def test_a_check_that_confirms_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        install_id_number_check(lambda candidate: False)
    assert service._confirm is ric.is_valid
    assert service.contains_id_number("holder 11010519491231002X")


def test_without_the_composition_root_the_kernel_check_is_in_force() -> None:
    code = (
        "import sys\n"
        "from core.worklog import contains_id_number\n"
        "assert 'identifiers' not in sys.modules and 'onenumber' not in sys.modules\n"
        "assert contains_id_number('holder 11010519491231002X')\n"
        "assert contains_id_number('{\"n\": \"110102199101010078\"}')\n"
        "assert not contains_id_number('dept 111100000001370319')\n"
        "assert not contains_id_number('110102199101010079')\n"
        "assert contains_id_number('n 990105194912310023')  # unknown province: refused all the same\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
