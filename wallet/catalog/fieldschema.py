"""A compact subset of JSON Schema for license fields, with errors that name the field and the rule.

Supported: a top-level ``{"type": "object", "properties": {...}, "required": [...],
"additionalProperties": false}``; each property has ``type`` string | integer | number | boolean,
optionally ``format: "date"`` (ISO 8601 ``YYYY-MM-DD``), ``enum``, ``minLength``, ``maxLength``,
``pattern``, ``minimum``, ``maximum``, and the annotations ``title`` / ``title_en`` / ``description``
(used as labels on the PDF). Anything else in a schema is rejected when the type is defined, so a
schema never silently means less than it says.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from core.inputs import EARLIEST, LATEST, in_range
from core.web.i18n import EN, ZH
from wallet.errors import InvalidLicenseData, InvalidSchema

_TYPES = {"string", "integer", "number", "boolean"}
_PROPERTY_KEYS = {
    "type",
    "format",
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "title",
    "title_en",
    "description",
}
_TOP_KEYS = {"type", "properties", "required", "additionalProperties", "title", "description", "$schema"}


def check_schema(schema: Any) -> dict[str, Any]:
    """Return ``schema`` if it stays within the supported subset, else raise :class:`InvalidSchema`."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise InvalidSchema(
            'a field schema must be an object schema: {"type": "object", ...}', field="schema"
        )
    unknown = set(schema) - _TOP_KEYS
    if unknown:
        raise InvalidSchema(f"unsupported schema keywords: {sorted(unknown)}", field="schema")
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise InvalidSchema("properties must be an object", field="schema.properties")
    for name, prop in props.items():
        where = f"schema.properties.{name}"
        if not isinstance(prop, dict) or prop.get("type") not in _TYPES:
            raise InvalidSchema(f"property {name!r} needs a type among {sorted(_TYPES)}", field=where)
        bad = set(prop) - _PROPERTY_KEYS
        if bad:
            raise InvalidSchema(f"property {name!r} uses unsupported keywords {sorted(bad)}", field=where)
        if "format" in prop and (prop["format"] != "date" or prop["type"] != "string"):
            raise InvalidSchema(f"property {name!r}: only format 'date' on strings is supported", field=where)
        if "pattern" in prop:
            try:
                re.compile(prop["pattern"])
            except (re.error, TypeError) as exc:
                raise InvalidSchema(f"property {name!r}: bad pattern ({exc})", field=where) from exc
        if "enum" in prop and (not isinstance(prop["enum"], list) or not prop["enum"]):
            raise InvalidSchema(f"property {name!r}: enum must be a non-empty list", field=where)
    required = schema.get("required", [])
    if not isinstance(required, list) or any(r not in props for r in required):
        raise InvalidSchema("required must list names of defined properties", field="schema.required")
    return schema


def _fail(name: str, rule: str, message: str) -> InvalidLicenseData:
    return InvalidLicenseData(f"data.{name}: {message} (rule {rule!r})", field=f"data.{name}", rule=rule)


def _check_value(name: str, prop: dict[str, Any], value: Any) -> Any:
    kind = prop["type"]
    if kind == "string":
        if not isinstance(value, str):
            raise _fail(name, "type", "must be a string")
        if prop.get("format") == "date":
            try:
                day = date.fromisoformat(value)
            except ValueError as exc:
                raise _fail(name, "format", "must be a date YYYY-MM-DD") from exc
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) or not in_range(day):
                raise _fail(name, "format", f"must be a date YYYY-MM-DD between {EARLIEST} and {LATEST}")
        if "minLength" in prop and len(value) < prop["minLength"]:
            raise _fail(name, "minLength", f"must have at least {prop['minLength']} characters")
        if "maxLength" in prop and len(value) > prop["maxLength"]:
            raise _fail(name, "maxLength", f"must have at most {prop['maxLength']} characters")
        if "pattern" in prop and not re.search(prop["pattern"], value):
            raise _fail(name, "pattern", f"must match {prop['pattern']}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _fail(name, "type", "must be true or false")
    else:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(name, "type", f"must be a {kind}")
        if kind == "integer" and not (isinstance(value, int) or float(value).is_integer()):
            raise _fail(name, "type", "must be an integer")
        if kind == "integer":
            value = int(value)
        if "minimum" in prop and value < prop["minimum"]:
            raise _fail(name, "minimum", f"must be at least {prop['minimum']}")
        if "maximum" in prop and value > prop["maximum"]:
            raise _fail(name, "maximum", f"must be at most {prop['maximum']}")
    if "enum" in prop and value not in prop["enum"]:
        raise _fail(name, "enum", f"must be one of {prop['enum']}")
    return value


def validate(schema: dict[str, Any], data: Any) -> dict[str, Any]:
    """Check ``data`` against ``schema``; return the cleaned data or raise the first error."""
    if not isinstance(data, dict):
        raise InvalidLicenseData("data must be an object", field="data", rule="type")
    props: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if data.get(name) in (None, ""):
            raise _fail(name, "required", "is required")
    if schema.get("additionalProperties", False) is False:
        extra = [k for k in data if k not in props]
        if extra:
            raise _fail(extra[0], "additionalProperties", "is not a field of this license type")
    cleaned: dict[str, Any] = {}
    for name, prop in props.items():
        if name in data and data[name] is not None:
            cleaned[name] = _check_value(name, prop, data[name])
    for name in data:
        if name not in props:
            cleaned[name] = data[name]
    return cleaned


def labels(schema: dict[str, Any], *, lang: str = ZH) -> dict[str, str]:
    """Display label of each property (``title`` / ``title_en``, falling back to the name)."""
    key = "title_en" if lang == EN else "title"
    return {
        name: str(prop.get(key) or prop.get("title") or name)
        for name, prop in schema.get("properties", {}).items()
    }
