"""The sealed PDF of a license: a :class:`signing.DocumentSpec` from the license, rendered and sealed."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from wallet.catalog import fieldschema
from wallet.catalog.models import LicenseType


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def render_and_seal(
    *,
    session: Session,
    license_type: LicenseType,
    identifier: str,
    holder_name: str,
    holder_number_masked: str,
    data: dict[str, Any],
    valid_from: date,
    valid_until: date | None,
    verify_url: str,
) -> bytes:
    """Render the license as a PDF and seal it with the issuing department's seal (signing/)."""
    import signing

    labels = fieldschema.labels(license_type.field_schema)
    fields = [(labels.get(name, name), _display(value)) for name, value in data.items()]
    issuer = license_type.issuer
    spec = signing.DocumentSpec(
        title=license_type.name,
        subtitle=license_type.name_en or None,
        holder_name=holder_name,
        holder_number_masked=holder_number_masked,
        fields=fields,
        issuer_name=issuer.name,
        issuer_code=issuer.credit_code,
        identifier=identifier,
        verify_url=verify_url,
        issued_on=valid_from,
        valid_until=valid_until,
        seal_purpose=issuer.seal_purpose,
    )
    pdf = signing.render_pdf(spec)
    sealed: bytes = signing.seal_pdf_sync(
        session=session,
        pdf=pdf,
        department_name=issuer.name,
        department_code=issuer.credit_code,
        purpose=issuer.seal_purpose,
    )
    return sealed
