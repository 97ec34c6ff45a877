"""Application forms: pre-filled values merged with what the applicant typed, checked field by field."""

from __future__ import annotations

from typing import Any

from wallet.applications.exceptions import InvalidForm
from wallet.applications.resolve import Preparation
from wallet.catalog import fieldschema
from wallet.errors import InvalidLicenseData

# A text field whose item sets no length still has one: what a form line can hold, not a whole document.
DEFAULT_MAX_LENGTH = 1000


def to_schema(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """A form's fields as a :mod:`wallet.catalog.fieldschema` object schema."""
    props: dict[str, Any] = {}
    for f in fields:
        prop: dict[str, Any] = {
            "type": "string" if f.get("type", "string") == "date" else f.get("type", "string"),
            "title": f.get("label", f["name"]),
        }
        if f.get("type") == "date":
            prop["format"] = "date"
        if f.get("max_length"):
            prop["maxLength"] = f["max_length"]
        elif prop["type"] == "string" and f.get("type") != "date":
            prop["maxLength"] = DEFAULT_MAX_LENGTH
        if f.get("enum"):
            prop["enum"] = f["enum"]
        props[f["name"]] = prop
    return {
        "type": "object",
        "properties": props,
        "required": [f["name"] for f in fields if f.get("required", True)],
        "additionalProperties": False,
    }


def validate(*, key: str, fields: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """Check one form's values; the error names ``form.<requirement>.<field>``."""
    if not isinstance(values, dict):
        raise InvalidForm(f"form {key!r} must be an object of field values", field=f"form.{key}")
    try:
        return fieldschema.validate(to_schema(fields), values)
    except InvalidLicenseData as exc:
        name = (exc.field or "data").removeprefix("data.")
        raise InvalidForm(str(exc).replace("data.", f"form.{key}.", 1), field=f"form.{key}.{name}") from exc


def validate_all(*, prep: Preparation, given: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every form of the preparation: pre-filled values, overridden by the applicant's, then checked."""
    out: dict[str, dict[str, Any]] = {}
    for res in prep.requirements:
        if res.kind != "form":
            continue
        merged = {**res.prefill, **(given.get(res.key) or {})}
        out[res.key] = validate(key=res.key, fields=res.details.get("fields", []), values=merged)
    return out
