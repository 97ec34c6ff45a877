"""Admin form handling: turning posted fields into service input, items back into form values, and a
service's rejection into one human sentence that names what to fix."""

from __future__ import annotations

import json
import re
from typing import Any

from channels.pages import human_message
from channels.rendering import KIT
from wallet.services import drafts
from wallet.services.exceptions import InvalidServiceItem
from wallet.services.models import ServiceItem
from wallet.services.schemas import ServiceItemIn

FIELD_INDEX = re.compile(r"requirements\[(\d+)\]")


class FormProblem(Exception):
    """A posted admin form that cannot be read (bad JSON, missing field); carries the sentence to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_json(value: str, *, label: str, lang: str, default: Any) -> Any:
    """The JSON of a textarea, or a :class:`FormProblem` naming the field and the line."""
    if not value.strip():
        return default
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise FormProblem(KIT.translator(lang)("err_admin_json", field=label, line=exc.lineno)) from exc


def item_spec(fields: dict[str, Any], *, lang: str) -> ServiceItemIn:
    """A service item from the admin form; a schema failure becomes one sentence naming the field."""
    t = KIT.translator(lang)
    requirements = parse_json(fields["requirements"], label=t("admin_requirements"), lang=lang, default=[])
    try:
        return drafts.item_spec(fields, requirements=requirements)
    except InvalidServiceItem as exc:
        raise FormProblem(t("err_admin_field", field=exc.field or "—", detail=str(exc))) from exc


def item_values(item: ServiceItem | None) -> dict[str, Any]:
    """The form's values for an item (a new one's defaults when None)."""
    return drafts.new_item() if item is None else drafts.item_values(item)


def rejection(exc: BaseException, *, lang: str, spec: ServiceItemIn | None = None) -> str:
    """The service's specific error as a sentence; a vague requirement is named by its own words."""
    t = KIT.translator(lang)
    code = str(getattr(exc, "code", "") or "")
    field = str(getattr(exc, "field", "") or "")
    if code == "vague_requirement" and spec is not None:
        found = FIELD_INDEX.search(field)
        if found and int(found.group(1)) < len(spec.requirements):
            return t("err_admin_vague", name=spec.requirements[int(found.group(1))].name)
        return t("err_admin_vague", name=spec.name)
    return human_message(exc, lang)
