"""Catalog: admin API, CLI, field-schema validator, demo seed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from onenumber.cli import main
from wallet.catalog import fieldschema
from wallet.errors import InvalidLicenseData, InvalidSchema
from wallet.licenses.models import License

SCHEMA = {
    "type": "object",
    "required": ["no"],
    "properties": {
        "no": {"type": "string", "title": "证号", "pattern": "^[A-Z]\\d{4}$"},
        "level": {"type": "integer", "minimum": 1, "maximum": 3},
        "active": {"type": "boolean"},
    },
}


def test_admin_adds_a_type_and_others_cannot(client, session, kit, catalog) -> None:
    body = {
        "type_code": "11110000000137015K009",
        "name": "测试许可",
        "issuer_code": kit.demo.APPROVAL,
        "holder_kind": "organization",
        "schema": SCHEMA,
        "validity": {"years": 3},
        "reuse_class": "never",
    }
    admin = kit.bearer(kit.person(kit.WANG, roles=("admin",)))
    assert (
        client.post(
            "/api/wallet/license-types", json=body, headers=kit.bearer(kit.person(kit.LI))
        ).status_code
        == 403
    )
    assert client.post("/api/wallet/license-types", json=body).status_code == 401
    resp = client.post("/api/wallet/license-types", json=body, headers=admin)
    assert resp.status_code == 201, resp.text
    assert resp.json()["holder_code_type"] == "001" and resp.json()["validity"] == {"years": 3}
    assert client.post("/api/wallet/license-types", json=body, headers=admin).status_code == 409
    bad = {
        **body,
        "type_code": "11110000000137015K010",
        "schema": {"type": "object", "properties": {"x": {"type": "string", "oneOf": []}}},
    }
    resp = client.post("/api/wallet/license-types", json=bad, headers=admin)
    assert (resp.status_code, resp.json()["error"], resp.json()["field"]) == (
        422,
        "invalid_schema",
        "schema.properties.x",
    )
    listed = client.get("/api/wallet/license-types", params={"issuer": kit.demo.APPROVAL}).json()
    assert {t["type_code"] for t in listed} == {kit.demo.BUSINESS_LICENSE, "11110000000137015K009"}
    person_type = client.get(f"/api/wallet/license-types/{kit.demo.BIRTH_CERTIFICATE}").json()
    assert person_type["holder_code_type"] == "111" and person_type["reuse_class"] == "always"


def test_department_credit_code_is_validated(client, kit, catalog) -> None:
    admin = kit.bearer(kit.person(kit.WANG, roles=("admin",)))
    resp = client.post(
        "/api/wallet/departments", json={"credit_code": "11110000000137015A", "name": "假局"}, headers=admin
    )
    assert (resp.status_code, resp.json()["error"], resp.json()["field"]) == (
        400,
        "invalid_credit_code",
        "credit_code",
    )
    assert len(client.get("/api/wallet/departments").json()) == 4


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        ({}, "data.no", "required"),
        ({"no": "x1234"}, "data.no", "pattern"),
        ({"no": "A1234", "level": 4}, "data.level", "maximum"),
        ({"no": "A1234", "level": "2"}, "data.level", "type"),
        ({"no": "A1234", "active": 1}, "data.active", "type"),
        ({"no": "A1234", "zzz": 1}, "data.zzz", "additionalProperties"),
    ],
)
def test_field_schema_names_field_and_rule(data, field, rule) -> None:
    with pytest.raises(InvalidLicenseData) as info:
        fieldschema.validate(SCHEMA, data)
    assert (info.value.field, info.value.rule) == (field, rule)


def test_field_schema_accepts_and_rejects_schemas() -> None:
    assert fieldschema.validate(SCHEMA, {"no": "A1234", "level": 2.0}) == {"no": "A1234", "level": 2}
    with pytest.raises(InvalidSchema):
        fieldschema.check_schema(
            {"type": "object", "properties": {"d": {"type": "integer", "format": "date"}}}
        )
    with pytest.raises(InvalidSchema):
        fieldschema.check_schema({"type": "object", "required": ["missing"], "properties": {}})


def test_cli_lists_and_adds(catalog, settings, kit, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ONENUMBER_DATABASE_URL", settings.database_url)
    from core.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["wallet", "departments", "list"]) == 0
        assert "示例市行政审批局" in capsys.readouterr().out
        schema = tmp_path / "schema.json"
        schema.write_text(__import__("json").dumps(SCHEMA))
        assert (
            main(
                [
                    "wallet",
                    "types",
                    "add",
                    "--type-code",
                    "11110000000245016J007",
                    "--name",
                    "护士执业证书",
                    "--issuer",
                    kit.demo.HEALTH,
                    "--holder-kind",
                    "person",
                    "--schema",
                    str(schema),
                    "--reuse-class",
                    "while_valid",
                    "--validity-years",
                    "5",
                ]
            )
            == 0
        )
        assert main(["wallet", "types", "list", "--issuer", kit.demo.HEALTH]) == 0
        out = capsys.readouterr().out
        assert "护士执业证书" in out and "出生医学证明" in out
        assert main(["wallet", "departments", "add", "--credit-code", "bogus", "--name", "x"]) == 1
        assert "invalid_credit_code" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_seed_is_idempotent_and_issues_sealed_demo_licenses(session, settings, local_store) -> None:
    from wallet.seed import seed

    first = seed(session=session, settings=settings, blob_store=local_store)
    assert "6 licenses added" in first[0]
    second = seed(session=session, settings=settings, blob_store=local_store)
    assert "0 licenses added" in second[0]
    assert session.execute(select(func.count()).select_from(License)).scalar_one() == 6
    assert sum(1 for _ in local_store.list()) == 6


@pytest.mark.parametrize("years", [10**20, 101, -5, True])
def test_validity_that_would_break_issuance_is_refused_when_saved(client, kit, catalog, years) -> None:
    """``years=10²⁰`` used to be saved, after which every issuance of the type failed with a 500."""
    admin = kit.bearer(kit.person(kit.WANG, roles=("admin",)))
    body = {"type_code": "11110000000137015K011", "name": "测试许可", "issuer_code": kit.demo.APPROVAL,
            "holder_kind": "organization", "schema": SCHEMA, "validity": {"years": years}, "reuse_class": "never"}
    resp = client.post("/api/wallet/license-types", json=body, headers=admin)
    assert resp.status_code == 422, resp.text
    answer = resp.json()  # the request-validation shape names the field by its location
    where = answer.get("field") or ".".join(str(part) for part in answer["detail"][0]["loc"][1:])
    assert where.startswith("validity"), answer
    assert "11110000000137015K011" not in {t["type_code"] for t in client.get("/api/wallet/license-types").json()}


def test_check_validity_bounds() -> None:
    from wallet.catalog.service import check_validity
    from wallet.errors import WalletError

    assert check_validity({"years": 100, "months": 1200}) == {"years": 100, "months": 1200}
    for bad in ({"years": 101}, {"months": 1201}, {"years": 10**20}, {"years": True}, {"years": -1}):
        with pytest.raises(WalletError) as caught:
            check_validity(bad)
        assert caught.value.field == "validity" and "0–100" in str(caught.value)


def test_form_numbers_are_ascii_only() -> None:
    from core.inputs import ascii_digits, ascii_int

    assert ascii_int(" 42 ") == 42 and ascii_int("-5") == -5
    for bad in ("²", "--5", "10²⁰", "٣", "1e3", "", "1234567890"):
        assert ascii_int(bad) is None, bad
    assert ascii_digits("13800000000") and not ascii_digits("１３８") and not ascii_digits("")
