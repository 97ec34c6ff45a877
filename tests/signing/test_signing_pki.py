"""Platform PKI: authorities, seal certificates, revocation and CRLs, keys encrypted at rest."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.settings import Settings
from identifiers import uscc
from signing import crl, pki
from signing.errors import InvalidParameter, UnknownCertificate
from signing.models import PkiCertificate
from signing.service import DEMO_DEPARTMENT_CODE as CODE
from signing.service import DEMO_DEPARTMENT_NAME as DEPARTMENT


def test_ensure_pki_is_idempotent(session: Session, settings: Settings) -> None:
    first = pki.ensure_pki(session=session, settings=settings)
    second = pki.ensure_pki(session=session, settings=settings)
    assert (first.root.id, first.issuing.id, first.tsa.id) == (
        second.root.id,
        second.issuing.id,
        second.tsa.id,
    )
    assert session.scalar(select(func.count()).select_from(PkiCertificate)) == 3


def test_seal_certificate_profile(session: Session, settings: Settings) -> None:
    row = pki.current_seal(session=session, settings=settings, department_name=DEPARTMENT, department_code=CODE)
    cert = pki.crypto_cert(row)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == DEPARTMENT
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == f"NTRCN-{CODE}"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert pki.DOCUMENT_SIGNING in eku and ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == "http://testserver/pki/crl.der"
    # issued on first use only
    assert pki.current_seal(session=session, settings=settings, department_name=DEPARTMENT, department_code=CODE).id == row.id


def test_tsa_certificate_has_critical_timestamping_eku(session: Session, settings: Settings) -> None:
    cert = pki.crypto_cert(pki.ensure_pki(session=session, settings=settings).tsa)
    ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert ext.critical and list(ext.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_keys_are_encrypted_at_rest(session: Session) -> None:
    for row in session.scalars(select(PkiCertificate)):
        assert row.key_cipher and "PRIVATE KEY" not in row.key_cipher


def test_revocation_republishes_the_crl(session: Session, settings: Settings) -> None:
    row = pki.current_seal(session=session, settings=settings, department_name=DEPARTMENT, department_code=CODE)
    ca = pki.ensure_pki(session=session, settings=settings)
    before = crl.current(session=session, settings=settings, issuer=ca.issuing)
    pki.revoke(session=session, settings=settings, serial=row.serial.upper(), reason="key_compromise")
    after = crl.current(session=session, settings=settings, issuer=ca.issuing)
    assert after.number == before.number + 1
    parsed = x509.load_der_x509_crl(bytes(after.crl_der))
    assert parsed.get_revoked_certificate_by_serial_number(int(row.serial, 16)) is not None
    assert parsed.is_signature_valid(pki.crypto_cert(ca.issuing).public_key())
    # the next seal call issues a new certificate
    assert pki.current_seal(session=session, settings=settings, department_name=DEPARTMENT, department_code=CODE).id != row.id


def test_bad_inputs_change_nothing(session: Session, settings: Settings) -> None:
    pki.ensure_pki(session=session, settings=settings)
    count = session.scalar(select(func.count()).select_from(PkiCertificate))
    with pytest.raises(InvalidParameter) as bad_code:
        pki.issue_seal(session=session, settings=settings, department_name=DEPARTMENT, department_code="11110000000137015J")
    assert bad_code.value.field == "department_code"
    with pytest.raises(UnknownCertificate):
        pki.revoke(session=session, settings=settings, serial="abcdef")
    with pytest.raises(InvalidParameter):
        pki.revoke(session=session, settings=settings, serial=pki.ensure_pki(session=session, settings=settings).root.serial)
    assert session.scalar(select(func.count()).select_from(PkiCertificate)) == count


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("11110000000137015K", True),
        ("91110000600037341L", True),
        (" 91110000600037341l ", True),
        ("11110000000137015J", False),  # MOD 31 check character
        ("123", False),
        # MOD 31 right, yet no credit code: the PKI checks with identifiers.uscc, every GB 32100 rule
        ("01110000000137015L", False),  # registration authority
        ("11990000000137015A", False),  # area
        ("111100000001370104", False),  # embedded organisation code
    ],
)
def test_department_code_is_a_credit_code(code: str, valid: bool) -> None:
    assert uscc.is_valid(code) is valid
    if valid:
        assert pki._check_department(DEPARTMENT, code)[1] == code.strip().upper()
    else:
        with pytest.raises(InvalidParameter) as bad:
            pki._check_department(DEPARTMENT, code)
        assert bad.value.field == "department_code"


def test_credit_code_compacts_like_the_old_helper() -> None:
    assert uscc.compact(" 9111 0000 6000 3734 1l ") == "91110000600037341L"


def test_instances_starting_together_make_one_pki(engine, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Four processes' first seals at once on an empty database: one root, one issuing CA, one TSA and one seal
    certificate for the department (PostgreSQL: an advisory lock; SQLite: its one writer)."""
    import threading

    from sqlalchemy.exc import OperationalError

    from core.db import make_sessionmaker

    factory = make_sessionmaker(engine)
    start, errors = threading.Barrier(4), []

    def first_use() -> None:
        start.wait()
        for attempt in range(20):
            try:
                with factory() as session:
                    pki.current_seal(session=session, settings=settings, department_name=DEPARTMENT,
                                     department_code=CODE)
                    session.commit()
                return
            except OperationalError as exc:  # SQLite: "database is locked" while another writer commits
                if engine.dialect.name != "sqlite" or attempt == 19:
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with factory() as session:
        kinds = dict(session.execute(select(PkiCertificate.kind, func.count()).group_by(PkiCertificate.kind)).all())
    assert kinds == {"root": 1, "issuing": 1, "tsa": 1, "seal": 1}, kinds
