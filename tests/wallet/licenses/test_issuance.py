"""Issuance: identifier, seal, blob and one transaction; bad input and failures leave nothing behind."""

from __future__ import annotations

from datetime import date

import pytest
from joserfc.jwk import ECKey
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from core.runtime import runtime_of
from core.worklog.models import WorkLogEntry
from identifiers import license_id
from identifiers.exceptions import IdentifierError
from storage import S3BlobStore, collect_garbage
from storage.deps import BLOB_STORE
from wallet.licenses import service as license_service
from wallet.licenses.models import LicenseEvent


def _issue_body(kit, type_code=None, party=None, data=None, **extra):  # type: ignore[no-untyped-def]
    party = party or kit.ORG
    return {
        "type_code": type_code or kit.demo.BUSINESS_LICENSE,
        "holder_number": party.number,
        "holder_name": party.name,
        "data": data if data is not None else dict(kit.BUSINESS_DATA),
        **extra,
    }


def test_department_system_issues_sealed_license(client, session, local_store, kit, catalog) -> None:
    before = kit.counts(session, local_store)
    resp = client.post(
        "/api/licenses", json=_issue_body(kit), headers=kit.bearer(kit.department(kit.demo.APPROVAL))
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    ident = body["identifier"]
    assert license_id.validate(ident) == ident
    assert license_id.parse(ident).issuer_code == kit.demo.APPROVAL
    assert body["status"] == "valid" and body["version"] == 1
    assert body["holder"]["number"] == "9111**********341L"
    assert kit.counts(session, local_store) == (before[0] + 1, before[1] + 1)
    lic = license_service.get_by_identifier(session=session, identifier=ident)
    pdf = local_store.get(lic.pdf_blob_key)
    assert pdf.startswith(b"%PDF") and len(pdf) == lic.pdf_size
    events = session.execute(select(LicenseEvent).where(LicenseEvent.license_id == lic.id)).scalars().all()
    assert [e.action for e in events] == ["issued"]
    log = (
        session.execute(select(WorkLogEntry).where(WorkLogEntry.object == f"license:{ident}")).scalars().all()
    )
    assert [e.action for e in log] == ["wallet.license.issued"]
    assert lic.holder_number_cipher != kit.ORG.number and kit.ORG.number not in lic.holder_number_cipher


def test_identifier_check_catches_every_single_character_change(issue, kit) -> None:
    lic = issue(kit.demo.BUSINESS_LICENSE, kit.ORG, kit.BUSINESS_DATA)
    assert license_id.is_valid(lic.identifier)
    for changed in kit.check_char_flip(lic.identifier):
        with pytest.raises(IdentifierError):
            license_id.validate(changed)


def test_serials_count_per_type_and_issuer(issue, kit) -> None:
    a = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    b = issue(kit.demo.BIRTH_CERTIFICATE, kit.ZHANG, {**kit.BIRTH_DATA, "sex": "女"})
    c = issue(kit.demo.BUSINESS_LICENSE, kit.ORG, kit.BUSINESS_DATA)
    sa, sb, sc = (license_id.parse(x.identifier).serial for x in (a, b, c))
    assert int(sb) == int(sa) + 1
    assert sc.endswith("00000001")


def test_clerk_of_the_issuing_department_may_issue(client, kit, catalog) -> None:
    clerk = kit.person(kit.WANG, roles=(f"clerk:{kit.demo.APPROVAL}",))
    resp = client.post("/api/licenses", json=_issue_body(kit), headers=kit.bearer(clerk))
    assert resp.status_code == 201, resp.text


def test_idempotency_key_replays_and_rejects_a_different_body(
    client, session, local_store, kit, catalog
) -> None:
    headers = {**kit.bearer(kit.department(kit.demo.APPROVAL)), "Idempotency-Key": "req-1"}
    first = client.post("/api/licenses", json=_issue_body(kit), headers=headers)
    after_first = kit.counts(session, local_store)
    again = client.post("/api/licenses", json=_issue_body(kit), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["identifier"] == first.json()["identifier"]
    other = _issue_body(kit, data={**kit.BUSINESS_DATA, "address": "别处"})
    clash = client.post("/api/licenses", json=other, headers=headers)
    assert clash.status_code == 409 and clash.json()["error"] == "idempotency_key_reused"
    assert kit.counts(session, local_store) == after_first


@pytest.mark.parametrize(
    ("case", "status", "error", "field"),
    [
        ("unknown_type", 422, "unknown_license_type", "type_code"),
        ("person_number_for_org_type", 422, "wrong_holder_kind", "holder_number"),
        ("org_number_for_person_type", 422, "wrong_holder_kind", "holder_number"),
        ("garbage_number", 422, "invalid_holder_number", "holder_number"),
        ("missing_field", 422, "invalid_license_data", "data.address"),
        ("enum_violation", 422, "invalid_license_data", "data.sex"),
        ("date_format", 422, "invalid_license_data", "data.born_on"),
        ("extra_field", 422, "invalid_license_data", "data.favourite_colour"),
        ("other_departments_type", 403, "not_issuer", "type_code"),
        ("holder_token", 403, "not_issuer", "type_code"),
    ],
)
def test_bad_issuance_is_refused_and_stores_nothing(
    client, session, local_store, kit, catalog, case, status, error, field
) -> None:
    approval = kit.bearer(kit.department(kit.demo.APPROVAL))
    health = kit.bearer(kit.department(kit.demo.HEALTH))
    birth = {
        "type_code": kit.demo.BIRTH_CERTIFICATE,
        "holder_number": kit.LI.number,
        "holder_name": kit.LI.name,
    }
    body, headers = {
        "unknown_type": (_issue_body(kit, type_code="NOPE001"), approval),
        "person_number_for_org_type": (_issue_body(kit, party=kit.ZHANG), approval),
        "org_number_for_person_type": (
            {**birth, "holder_number": kit.ORG.number, "data": kit.BIRTH_DATA},
            health,
        ),
        "garbage_number": (_issue_body(kit, party=kit.Party("某", "123456789012345678")), approval),
        "missing_field": (
            _issue_body(kit, data={k: v for k, v in kit.BUSINESS_DATA.items() if k != "address"}),
            approval,
        ),
        "enum_violation": ({**birth, "data": {**kit.BIRTH_DATA, "sex": "未知"}}, health),
        "date_format": ({**birth, "data": {**kit.BIRTH_DATA, "born_on": "1991/01/01"}}, health),
        "extra_field": (_issue_body(kit, data={**kit.BUSINESS_DATA, "favourite_colour": "red"}), approval),
        "other_departments_type": ({**birth, "data": kit.BIRTH_DATA}, approval),
        "holder_token": (_issue_body(kit), kit.bearer(kit.person(kit.ZHANG))),
    }[case]
    before = kit.counts(session, local_store)
    log_before = session.execute(select(func.count()).select_from(WorkLogEntry)).scalar_one()
    resp = client.post("/api/licenses", json=body, headers=headers)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"] == error
    assert resp.json()["field"] == field
    assert kit.counts(session, local_store) == before
    assert session.execute(select(func.count()).select_from(WorkLogEntry)).scalar_one() == log_before
    if error == "invalid_license_data":
        assert "rule" in resp.json()["detail"]


def test_schema_failure_names_field_and_rule(issue, kit) -> None:
    from wallet.errors import InvalidLicenseData

    with pytest.raises(InvalidLicenseData) as info:
        issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, {**kit.BIRTH_DATA, "birthplace": "x" * 300})
    assert (info.value.field, info.value.rule) == ("data.birthplace", "maxLength")


def test_anonymous_cannot_issue(client, kit, catalog) -> None:
    resp = client.post("/api/licenses", json=_issue_body(kit))
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_token"
    forged = kit.mint(kit.department(kit.demo.APPROVAL), key=ECKey.generate_key("P-256", auto_kid=True))
    resp = client.post("/api/licenses", json=_issue_body(kit), headers={"Authorization": f"Bearer {forged}"})
    assert resp.status_code == 401


def test_storage_down_gives_503_and_no_row(app, client, session, local_store, kit, catalog) -> None:
    # A real S3 client aimed at a port where nothing listens: the store is down.
    runtime_of(app).put(BLOB_STORE, S3BlobStore(
        endpoint="127.0.0.1:9", bucket="licenses", access_key="a", secret_key="b", secure=False
    ))
    before = kit.counts(session, local_store)
    resp = client.post(
        "/api/licenses", json=_issue_body(kit), headers=kit.bearer(kit.department(kit.demo.APPROVAL))
    )
    assert resp.status_code == 503
    assert resp.json()["error"] == "storage_unavailable"
    assert "nothing was issued" in resp.json()["detail"]
    assert kit.counts(session, local_store) == before


def test_database_failure_after_blob_put_leaves_no_blob_and_no_serial_used(
    catalog, settings, local_store, kit, monkeypatch
) -> None:
    from datetime import timedelta

    def broken_append(**kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT INTO work_log", {}, Exception("disk I/O error"))

    monkeypatch.setattr(license_service.worklog, "append", broken_append)
    from wallet.errors import DatabaseUnavailable

    with pytest.raises(DatabaseUnavailable):
        license_service.issue(
            session=catalog,
            settings=settings,
            blob_store=local_store,
            caller=None,
            type_code=kit.demo.BUSINESS_LICENSE,
            holder_number=kit.ORG.number,
            holder_name=kit.ORG.name,
            data=kit.BUSINESS_DATA,
        )
    # the failed issuance deleted the PDF it had stored (gc would have found nothing to collect)
    assert kit.counts(catalog, local_store) == (0, 0)
    assert collect_garbage(local_store, referenced=set(), older_than=timedelta(seconds=-1)) == []
    # and its serial goes to the next issuance: the numbering has no gap
    monkeypatch.undo()
    lic = license_service.issue(
        session=catalog, settings=settings, blob_store=local_store, caller=None,
        type_code=kit.demo.BUSINESS_LICENSE, holder_number=kit.ORG.number, holder_name=kit.ORG.name,
        data=kit.BUSINESS_DATA,
    ).license
    assert lic.serial.endswith("00000001"), lic.serial


def test_gc_keeps_blobs_of_licenses(issue, catalog, local_store, kit) -> None:
    from datetime import timedelta

    lic = issue(kit.demo.BUSINESS_LICENSE, kit.ORG, kit.BUSINESS_DATA)
    removed = collect_garbage(
        local_store,
        referenced=license_service.referenced_blob_keys(catalog),
        older_than=timedelta(seconds=-1),
    )
    assert removed == [] and local_store.exists(lic.pdf_blob_key)


def test_validity_rule_sets_valid_until(issue, kit) -> None:
    lic = issue(kit.demo.FOOD_PERMIT, kit.ORG, kit.FOOD_DATA, valid_from=date(2026, 3, 1))
    assert lic.valid_until == date(2031, 2, 28)
