"""The catalog as an administrator edits it: the values a new department or license type starts from, and
an existing one's values as its edit form shows them (the checks are the service's, on saving)."""

from __future__ import annotations

import json
from typing import Any

from wallet.catalog.models import Department, LicenseType
from wallet.catalog.service import DEFAULT_SEAL_PURPOSE

# A new license type's schema: an object with no fields yet, laid out for editing.
NEW_FIELD_SCHEMA = '{\n  "type": "object",\n  "properties": {},\n  "required": []\n}'


def new_department() -> dict[str, str]:
    """The values a new department starts from."""
    return {"credit_code": "", "name": "", "seal_purpose": DEFAULT_SEAL_PURPOSE}


def department_values(dept: Department) -> dict[str, str]:
    """A department's values as edited (its credit code stays)."""
    return {"credit_code": dept.credit_code, "name": dept.name, "seal_purpose": dept.seal_purpose}


def new_license_type() -> dict[str, Any]:
    """The values a new license type starts from: a person's license, reused while valid, no validity rule."""
    return {
        "type_code": "",
        "name": "",
        "name_en": "",
        "issuer_code": "",
        "holder_kind": "person",
        "reuse_class": "while_valid",
        "description": "",
        "years": 0,
        "months": 0,
        "field_schema": NEW_FIELD_SCHEMA,
    }


def license_type_values(row: LicenseType) -> dict[str, Any]:
    """A license type's values as edited (code, issuer and holder kind stay); the schema as indented JSON."""
    return {
        "type_code": row.type_code,
        "name": row.name,
        "name_en": row.name_en,
        "issuer_code": row.issuer.credit_code,
        "holder_kind": row.holder_kind,
        "reuse_class": row.reuse_class,
        "description": row.description,
        "years": (row.validity or {}).get("years", 0),
        "months": (row.validity or {}).get("months", 0),
        "field_schema": json.dumps(row.field_schema, ensure_ascii=False, indent=2),
    }


def validity(*, years: int, months: int) -> dict[str, int]:
    """The validity rule of a license type from its years and months (checked by the service on saving)."""
    return {"years": years, "months": months}
