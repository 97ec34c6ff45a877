"""Holder wallet API under ``/api/wallet``: licenses, PDF, show (亮证), SD-JWT, grants, access log, keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from core.db import DbInt
from core.deps import SessionDep, SettingsDep
from storage.deps import BlobStoreDep
from wallet.dependencies import (
    DELEGATION_PRESENT,
    DELEGATION_READ,
    SCOPE_ID_NUMBER,
    InsufficientScope,
    WalletNumberReader,
    WalletReader,
    WalletSharer,
)
from wallet.licenses import grants, holder, keys, presentation, sdjwt, service, views
from wallet.licenses.schemas import (
    AccessOut,
    EventOut,
    GrantIn,
    GrantOut,
    LicenseOut,
    PresentationOut,
    PresentIn,
)

router = APIRouter(prefix="/api/wallet", tags=["wallet (holders)"])


@router.get("/keys")
def jwks(session: SessionDep, settings: SettingsDep) -> dict[str, object]:
    """Public keys of presentation tokens and SD-JWT VCs (JWK Set) for offline verification."""
    return keys.jwks(session=session, settings=settings)


@router.get("/licenses", response_model=list[LicenseOut])
def list_licenses(
    session: SessionDep, settings: SettingsDep, caller: WalletReader, all_versions: bool = False
) -> list[LicenseOut]:
    """The caller's licenses and those of the organisation they act for (clear numbers need ``id_number``)."""
    rows = holder.list_licenses(session=session, caller=caller, all_versions=all_versions)
    clear = caller.sees_numbers
    return [views.license_out(r, settings=settings, full_holder=clear, mask_data=not clear) for r in rows]


@router.get("/licenses/{identifier}", response_model=LicenseOut)
def get_license(
    identifier: str, session: SessionDep, settings: SettingsDep, caller: WalletReader
) -> LicenseOut:
    """One of the caller's licenses (the clear holder number needs ``id_number``)."""
    lic = holder.get_license(session=session, caller=caller, identifier=identifier)
    clear = caller.sees_numbers
    return views.license_out(lic, settings=settings, full_holder=clear, mask_data=not clear)


@router.get("/licenses/{identifier}/events", response_model=list[EventOut])
def license_events(identifier: str, session: SessionDep, caller: WalletReader) -> list[EventOut]:
    """History of one of the caller's licenses."""
    lic = holder.get_license(session=session, caller=caller, identifier=identifier)
    return [
        EventOut.model_validate(e, from_attributes=True)
        for e in service.list_events(session=session, lic=lic)
    ]


@router.get(
    "/licenses/{identifier}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def download_pdf(
    identifier: str, session: SessionDep, blob_store: BlobStoreDep, caller: WalletNumberReader
) -> Response:
    """The sealed original PDF (it shows the clear holder number, so it needs ``id_number`` too)."""
    lic, data = holder.get_pdf(session=session, blob_store=blob_store, caller=caller, identifier=identifier)
    name = lic.identifier.replace(".", "_") + ".pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/licenses/{identifier}/present", response_model=PresentationOut, status_code=201)
def present(
    identifier: str, body: PresentIn, session: SessionDep, settings: SettingsDep, caller: WalletSharer
) -> PresentationOut:
    """亮证: a short-lived signed token revealing only the chosen fields, and its QR code."""
    lic = holder.get_license(
        session=session, caller=caller, identifier=identifier, action=DELEGATION_PRESENT, log_as="present"
    )
    p = presentation.present(
        session=session, settings=settings, lic=lic, fields=body.fields, ttl=body.ttl_seconds
    )
    return PresentationOut(
        token=p.token,
        expires_at=p.expires_at,
        qr_png_url=f"/api/wallet/present/{p.token}/qr.png",
        verify_url=presentation.verify_link(settings, p.token),
    )


@router.get(
    "/present/{token}/qr.png", response_class=Response, responses={200: {"content": {"image/png": {}}}}
)
def presentation_qr(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """QR code of a (still valid) presentation token; it encodes the public verify link."""
    presentation.decode(session=session, token=token)
    return Response(
        presentation.qr_png(presentation.verify_link(settings, token)),
        media_type="image/png",
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/licenses/{identifier}/sd-jwt",
    response_class=Response,
    responses={200: {"content": {"application/dc+sd-jwt": {}}}},
)
def export_sd_jwt(
    identifier: str,
    session: SessionDep,
    settings: SettingsDep,
    caller: WalletSharer,
    fields: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """The license as an SD-JWT VC with the chosen (default: all) disclosures; without ``id_number`` the
    clear holder number is never disclosed (its digest stays, undisclosed)."""
    if not caller.sees_numbers and fields is not None and sdjwt.NUMBER_CLAIM in fields:
        raise InsufficientScope(
            f"disclosing the clear holder number needs the scope {SCOPE_ID_NUMBER!r}", scope=SCOPE_ID_NUMBER
        )
    lic = holder.get_license(
        session=session, caller=caller, identifier=identifier, action=DELEGATION_PRESENT, log_as="export"
    )
    return Response(
        sdjwt.export(
            session=session, settings=settings, lic=lic, fields=fields, disclose_number=caller.sees_numbers
        ),
        media_type="application/dc+sd-jwt",
        headers={"Cache-Control": "no-store"},
    )


@router.post("/grants", response_model=GrantOut, status_code=201)
def create_grant(body: GrantIn, session: SessionDep, caller: WalletSharer) -> GrantOut:
    """用证授权: let a department or client use one license, or a license type, for a purpose and period."""
    grant = holder.grant(
        session=session,
        caller=caller,
        identifier=body.identifier,
        type_code=body.type_code,
        holder=body.holder,
        grantee_kind=body.grantee_kind,
        grantee=body.grantee,
        purpose=body.purpose,
        valid_until=body.valid_until,
        valid_from=body.valid_from,
        fields=body.fields,
    )
    return views.grant_out(grant)


@router.get("/grants", response_model=list[GrantOut])
def list_grants(session: SessionDep, caller: WalletReader) -> list[GrantOut]:
    """Grants over the caller's licenses (and their organisation's)."""
    rows = grants.list_for_holders(session=session, holder_indexes=caller.holder_indexes(DELEGATION_READ))
    return [views.grant_out(g) for g in rows]


@router.post("/grants/{grant_id}/withdraw", response_model=GrantOut)
def withdraw_grant(grant_id: DbInt, session: SessionDep, caller: WalletSharer) -> GrantOut:
    """Withdraw a grant; reads through it stop at once."""
    return views.grant_out(holder.withdraw(session=session, caller=caller, grant_id=grant_id))


@router.get("/access-log", response_model=list[AccessOut])
def access_log(
    session: SessionDep, caller: WalletReader, limit: int = Query(200, ge=1, le=1000)
) -> list[AccessOut]:
    """Who read or verified the caller's licenses, for what, through which channel, when."""
    rows = grants.list_access(
        session=session, holder_indexes=caller.holder_indexes(DELEGATION_READ), limit=limit
    )
    return [
        AccessOut(
            at=r.at,
            identifier=r.license.identifier,
            license_name=r.license.license_type.name,
            accessor=r.accessor,
            accessor_label=r.accessor_label,
            action=r.action,
            channel=r.channel,
            purpose=r.purpose,
            grant_id=r.grant_id,
        )
        for r in rows
    ]
