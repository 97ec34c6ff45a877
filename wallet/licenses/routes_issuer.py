"""Issuer and department API under ``/api/licenses``: issue, read, lifecycle, public status."""

from __future__ import annotations

from fastapi import APIRouter, Response

from core.deps import SessionDep, SettingsDep
from core.inputs import IdempotencyKey
from storage.deps import BlobStoreDep
from wallet.dependencies import CurrentCaller
from wallet.licenses import access, lifecycle, service, verification, views
from wallet.licenses.schemas import EventOut, IssueIn, LicenseOut, NewVersionIn, ReasonIn, StatusOut

router = APIRouter(prefix="/api/licenses", tags=["licenses (issuers, departments)"])


def _previous(session: SessionDep, lic: service.License) -> str | None:
    if lic.previous_id is None:
        return None
    prev = session.get(service.License, lic.previous_id)
    return prev.identifier if prev else None


@router.post("", response_model=LicenseOut, status_code=201)
def issue(
    body: IssueIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    blob_store: BlobStoreDep,
    caller: CurrentCaller,
    idempotency_key: IdempotencyKey = None,
) -> LicenseOut:
    """Issue a license (department system with ``license:issue``, or a clerk of the issuing department)."""
    result = service.issue(
        session=session,
        settings=settings,
        blob_store=blob_store,
        caller=caller,
        type_code=body.type_code,
        holder_number=body.holder_number,
        holder_name=body.holder_name,
        data=body.data,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        idempotency_key=idempotency_key,
    )
    if not result.created:
        response.status_code = 200
    return views.license_out(result.license, settings=settings, full_holder=False)


@router.get("/{identifier}/status", response_model=StatusOut)
def status(identifier: str, session: SessionDep) -> StatusOut:
    """Public status of a license (any verifier; no personal data)."""
    return verification.status(session=session, identifier=identifier)


@router.get("/{identifier}", response_model=LicenseOut)
def read(
    identifier: str,
    session: SessionDep,
    settings: SettingsDep,
    caller: CurrentCaller,
    purpose: str = "",
) -> LicenseOut:
    """A department reads a license it issued or one a holder granted it (logged for the holder)."""
    return verification.read_as_department(
        session=session,
        settings=settings,
        caller=caller,
        identifier=identifier,
        purpose=purpose,
        channel="api",
    )


@router.get("/{identifier}/events", response_model=list[EventOut])
def events(identifier: str, session: SessionDep, caller: CurrentCaller) -> list[EventOut]:
    """History of a license (its issuer)."""
    lic = access.require_issuer(caller, service.get_by_identifier(session=session, identifier=identifier))
    return [
        EventOut.model_validate(e, from_attributes=True)
        for e in service.list_events(session=session, lic=lic)
    ]


def _change(action: str):  # type: ignore[no-untyped-def]
    def endpoint(
        identifier: str, body: ReasonIn, session: SessionDep, settings: SettingsDep, caller: CurrentCaller
    ) -> LicenseOut:
        lic = access.require_issuer(caller, service.get_by_identifier(session=session, identifier=identifier))
        lic = lifecycle.change_status(
            session=session, lic=lic, action=action, actor=caller.actor, reason=body.reason
        )
        return views.license_out(lic, settings=settings, full_holder=False)

    endpoint.__doc__ = f"{action.capitalize()} a license (its issuer)."
    endpoint.__name__ = action
    return endpoint


for _action in lifecycle.TRANSITIONS:
    router.add_api_route(
        f"/{{identifier}}/{_action}",
        _change(_action),
        methods=["POST"],
        response_model=LicenseOut,
        name=f"license_{_action}",
    )


def _version(kind: str):  # type: ignore[no-untyped-def]
    def endpoint(
        identifier: str,
        body: NewVersionIn,
        session: SessionDep,
        settings: SettingsDep,
        blob_store: BlobStoreDep,
        caller: CurrentCaller,
    ) -> LicenseOut:
        lic = access.require_issuer(caller, service.get_by_identifier(session=session, identifier=identifier))
        new = lifecycle.new_version(
            session=session,
            settings=settings,
            blob_store=blob_store,
            lic=lic,
            kind=kind,
            actor=caller.actor,
            data=body.data,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            reason=body.reason,
        )
        return views.license_out(new, settings=settings, full_holder=False, previous=lic.identifier)

    endpoint.__doc__ = (
        "Renew a license: a new version with a new validity period."
        if kind == "renewed"
        else "Change a license's data: a new version replaces this one."
    )
    endpoint.__name__ = kind
    return endpoint


router.add_api_route(
    "/{identifier}/renew",
    _version("renewed"),
    methods=["POST"],
    response_model=LicenseOut,
    status_code=201,
    name="license_renew",
)
router.add_api_route(
    "/{identifier}/change",
    _version("changed"),
    methods=["POST"],
    response_model=LicenseOut,
    status_code=201,
    name="license_change",
)
