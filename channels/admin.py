"""Admin pages (role ``admin``): departments, license types and service items — listed, created, edited.

OAuth clients are not listed: they live in idp, which wallet never reads, and idp exposes no admin API for
them (its CLI ``onenumber clients list`` is the tool).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from channels import admin_forms
from channels.identity import Identity, hall_user
from channels.pages import PageRoute, human_message
from channels.rendering import KIT
from core.deps import SessionDep
from core.inputs import ascii_int
from core.web.i18n import pick
from core.web.security import declare_no_store
from wallet.catalog import drafts as catalog_drafts
from wallet.catalog import service as catalog_service
from wallet.errors import Forbidden, NotFound, WalletError
from wallet.services import service as items_service
from wallet.services.schemas import ServiceItemIn

router = APIRouter(route_class=PageRoute, include_in_schema=False)
declare_no_store("/admin")


async def admin_user(request: Request) -> Identity:
    """The signed-in person, who must hold the ``admin`` role."""
    user = await hall_user(request)
    if not user.is_admin:
        raise Forbidden("this page is for administrators", code="admin_only")
    return user


async def posted(request: Request) -> FormData:
    """The posted form (read before a synchronous handler runs in the thread pool)."""
    return await request.form()


AdminUser = Annotated[Identity, Depends(admin_user)]
Posted = Annotated[FormData, Depends(posted)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _int(form: FormData, name: str, default: int = 0) -> int:
    text = _text(form, name).strip()
    if not text:
        return default
    value = ascii_int(text)
    # Not a plain number ("--5", "²", "10²⁰"): -1, which every numeric field of these forms refuses by name.
    return -1 if value is None else value


@router.get("/admin")
def overview(request: Request, user: AdminUser, session: SessionDep) -> Response:
    """Departments, license types and service items."""
    return KIT.render(
        request,
        "admin/overview.html",
        departments=catalog_service.list_departments(session=session),
        types=catalog_service.list_types(session=session),
        items=items_service.list_items(session=session),
        pick=pick,
        saved=request.query_params.get("saved", ""),
    )


# Departments


def _department_form(
    request: Request, *, values: dict[str, str], editing: bool, error: str | None = None, status: int = 200
) -> Response:
    return KIT.render(request, "admin/department.html", status_code=status, v=values, editing=editing, error=error)


@router.get("/admin/departments/new")
def department_new(request: Request, user: AdminUser) -> Response:
    """Form: a new department."""
    return _department_form(request, values=catalog_drafts.new_department(), editing=False)


@router.get("/admin/departments/{code}")
def department_edit(code: str, request: Request, user: AdminUser, session: SessionDep) -> Response:
    """Form: edit a department (its credit code stays)."""
    dept = catalog_service.get_department(session=session, credit_code=code)
    if dept is None:
        raise NotFound(f"no department {code!r}", field="credit_code", code="unknown_department")
    return _department_form(request, values=catalog_drafts.department_values(dept), editing=True)


@router.post("/admin/departments")
def department_save(request: Request, user: AdminUser, session: SessionDep, form: Posted) -> Response:
    """Create or edit a department; a rejection is shown on the form, nothing is saved."""
    if (refused := KIT.refuse_bad_csrf(request, _text(form, "csrf"))) is not None:
        return refused
    values = {k: _text(form, k).strip() for k in ("credit_code", "name", "seal_purpose")}
    editing = _text(form, "editing") == "1"
    try:
        if editing:
            catalog_service.update_department(session=session, actor=user.caller.actor, **values)
        else:
            catalog_service.create_department(session=session, actor=user.caller.actor, **values)
        session.commit()
    except WalletError as exc:
        session.rollback()
        message = human_message(exc, KIT.lang_of(request))
        return _department_form(request, values=values, editing=editing, error=message, status=exc.status_code)
    return KIT.redirect(request, "/admin?saved=department")


# License types

TYPE_FIELDS = ("type_code", "name", "name_en", "issuer_code", "holder_kind", "reuse_class", "description")


def _type_form(
    request: Request,
    session: Session,
    *,
    values: dict[str, Any],
    editing: bool,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return KIT.render(
        request,
        "admin/license_type.html",
        status_code=status,
        v=values,
        editing=editing,
        error=error,
        departments=catalog_service.list_departments(session=session),
        holder_kinds=catalog_service.HOLDER_KINDS,
        reuse_classes=catalog_service.REUSE_CLASSES,
    )


@router.get("/admin/types/new")
def type_new(request: Request, user: AdminUser, session: SessionDep) -> Response:
    """Form: a new license type."""
    return _type_form(request, session, values=catalog_drafts.new_license_type(), editing=False)


@router.get("/admin/types/{code}")
def type_edit(code: str, request: Request, user: AdminUser, session: SessionDep) -> Response:
    """Form: edit a license type (code, issuer and holder kind stay)."""
    row = catalog_service.require_type(session=session, type_code=code)
    return _type_form(request, session, values=catalog_drafts.license_type_values(row), editing=True)


@router.post("/admin/types")
def type_save(request: Request, user: AdminUser, session: SessionDep, form: Posted) -> Response:
    """Create or edit a license type; the JSON schema is checked by the catalog before anything is saved."""
    if (refused := KIT.refuse_bad_csrf(request, _text(form, "csrf"))) is not None:
        return refused
    lang = KIT.lang_of(request)
    values: dict[str, Any] = {k: _text(form, k).strip() for k in TYPE_FIELDS}
    values.update(years=_int(form, "years"), months=_int(form, "months"), field_schema=_text(form, "field_schema"))
    editing = _text(form, "editing") == "1"
    validity = catalog_drafts.validity(years=values["years"], months=values["months"])
    try:
        schema = admin_forms.parse_json(
            values["field_schema"], label=KIT.t_of(request)("admin_field_schema"), lang=lang, default={}
        )
        common: dict[str, Any] = {
            "session": session,
            "type_code": values["type_code"],
            "name": values["name"],
            "name_en": values["name_en"],
            "field_schema": schema,
            "reuse_class": values["reuse_class"],
            "validity": validity,
            "description": values["description"],
            "actor": user.caller.actor,
        }
        if editing:
            catalog_service.update_type(**common)
        else:
            catalog_service.create_type(**common, issuer_code=values["issuer_code"], holder_kind=values["holder_kind"])
        session.commit()
    except admin_forms.FormProblem as exc:
        return _type_form(request, session, values=values, editing=editing, error=exc.message, status=422)
    except WalletError as exc:
        session.rollback()
        message = human_message(exc, lang)
        return _type_form(request, session, values=values, editing=editing, error=message, status=exc.status_code)
    return KIT.redirect(request, "/admin?saved=type")


# Service items


def _item_form(
    request: Request,
    session: Session,
    *,
    values: dict[str, Any],
    editing: bool,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return KIT.render(
        request,
        "admin/item.html",
        status_code=status,
        v=values,
        editing=editing,
        error=error,
        departments=catalog_service.list_departments(session=session),
        types=catalog_service.list_types(session=session),
        pick=pick,
    )


@router.get("/admin/items/new")
def item_new(request: Request, user: AdminUser, session: SessionDep) -> Response:
    """Form: a new service item (requirements as JSON)."""
    return _item_form(request, session, values=admin_forms.item_values(None), editing=False)


@router.get("/admin/items/{code}")
def item_edit(code: str, request: Request, user: AdminUser, session: SessionDep) -> Response:
    """Form: edit a service item; its code never changes (一码)."""
    item = items_service.require_item(session=session, code=code)
    return _item_form(request, session, values=admin_forms.item_values(item), editing=True)


@router.post("/admin/items")
def item_save(request: Request, user: AdminUser, session: SessionDep, form: Posted) -> Response:
    """Create or edit a service item; the catalog's own checks (e.g. no vague "其他材料") speak on the form."""
    if (refused := KIT.refuse_bad_csrf(request, _text(form, "csrf"))) is not None:
        return refused
    lang = KIT.lang_of(request)
    editing = _text(form, "editing") == "1"
    values: dict[str, Any] = {
        k: _text(form, k)
        for k in (
            "code", "name", "name_en", "category", "legal_basis", "conditions", "fees",
            "address", "hours", "contact", "issues_license_type", "requirements",
        )
    }  # fmt: skip
    values.update(
        departments=[d for d in form.getlist("departments") if isinstance(d, str)],
        channels=[c for c in form.getlist("channels") if isinstance(c, str)],
        time_limit_days=_int(form, "time_limit_days", -1),
        same_day=bool(form.get("same_day")),
        needs_visit=bool(form.get("needs_visit")),
    )
    spec: ServiceItemIn | None = None
    try:
        spec = admin_forms.item_spec(values, lang=lang)
        if editing:
            items_service.update_item(session=session, code=spec.code, spec=spec, actor=user.caller.actor)
        else:
            items_service.create_item(session=session, spec=spec, actor=user.caller.actor)
        session.commit()
    except admin_forms.FormProblem as exc:
        return _item_form(request, session, values=values, editing=editing, error=exc.message, status=422)
    except WalletError as exc:
        session.rollback()
        message = admin_forms.rejection(exc, lang=lang, spec=spec)
        return _item_form(request, session, values=values, editing=editing, error=message, status=exc.status_code)
    return KIT.redirect(request, "/admin?saved=item")
