"""``onenumber id check``: kind, normalised, masked, parts; exit 1 with the rule on stderr."""

from __future__ import annotations

import argparse

import pytest

from identifiers.cli import register


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, str], str]:
    """Run ``onenumber id check …`` via a parser around ``register``; return code, fields, stderr."""
    parser = argparse.ArgumentParser(prog="onenumber")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["id", "check", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    fields = dict(line.split(":", 1) for line in out.splitlines())
    return code, {key: value.strip() for key, value in fields.items()}, err


def test_resident_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, fields, err = run(capsys, "11010519491231002x")
    assert code == 0 and err == ""
    assert fields["kind"].startswith("resident ID number")
    assert fields["normalised"] == "11010519491231002X"
    assert fields["masked"] == "1101**********002X"
    assert fields["birth date"] == "1949-12-31"
    assert fields["sex"] == "female (女)"
    assert fields["area"] == "110105 (北京市, Beijing)"


def test_male_resident_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, fields, _ = run(capsys, "440882198503293017")
    assert code == 0 and fields["sex"] == "male (男)" and fields["area"].startswith("440882 (广东省")


def test_first_generation_number_shows_the_upgrade(capsys: pytest.CaptureFixture[str]) -> None:
    code, fields, _ = run(capsys, "110105491231002")
    assert code == 0
    assert "first-generation" in fields["kind"] and "upgraded" in fields["kind"]
    assert fields["normalised"] == "11010519491231002X"


def test_credit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, fields, _ = run(capsys, "91110000600037341L")
    assert code == 0
    assert fields["kind"].startswith("unified social credit code")
    assert fields["masked"] == "9111**********341L"
    assert fields["authority"] == "9 工商 (industry and commerce)"
    assert fields["type"] == "1 企业 (enterprise)"
    assert fields["organisation code"] == "60003734-1"
    assert fields["legacy"] == "no"


def test_all_digit_credit_code_is_not_taken_for_a_resident_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, fields, _ = run(capsys, "111100000001370319")
    assert code == 0
    assert fields["kind"].startswith("unified social credit code")
    assert fields["authority"].startswith("1 机构编制")


def test_legacy_credit_code_needs_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, fields, err = run(capsys, "91110000600037341A")
    assert code == 1 and fields == {}
    assert "rule checksum" in err and "--legacy" in err
    code, fields, err = run(capsys, "91110000600037341A", "--legacy")
    assert code == 0 and err == ""
    assert fields["legacy"].startswith("yes")


def test_license_identifier(capsys: pytest.CaptureFixture[str]) -> None:
    code, fields, _ = run(capsys, "1.2.156.3005.2.A001.11110000000137015K.2026000001.1.Z")
    assert code == 0
    assert fields["kind"].startswith("e-license identifier")
    assert fields["serial"] == "2026000001"
    assert fields["issuer"].startswith("11110000000137015K (机构编制/机关")


def test_organisation_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, fields, _ = run(capsys, "60003734-1")
    assert code == 0 and fields["normalised"] == "600037341"


@pytest.mark.parametrize(
    ("value", "kind", "rule"),
    [
        ("110105194902290028", "resident ID number", "birth_date"),
        ("110105194912310021", "resident ID number", "checksum"),
        ("990105194912310021", "resident ID number", "area"),
        ("110105490229002", "first-generation resident ID number", "birth_date"),
        ("91110000600I37341L", "credit code", "charset"),
        ("91110000600037342L", "credit code", "organisation_code"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026000002.1.Z", "e-license identifier", "checksum"),
        ("600037342", "organisation code", "checksum"),
        ("12345", "identifier", "length"),
    ],
)
def test_invalid_values_exit_1_with_the_rule(
    capsys: pytest.CaptureFixture[str], value: str, kind: str, rule: str
) -> None:
    code, fields, err = run(capsys, value)
    assert code == 1
    assert fields == {}  # nothing on stdout
    assert err.startswith(f"invalid {kind}: rule {rule}:")


def test_cli_errors_do_not_echo_resident_ids(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "110105194912310021")
    assert "110105" not in err and "19491231" not in err
