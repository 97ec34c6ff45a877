"""The holder's side: their licenses (and those of organisations they act for), PDFs, grants, access log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.clock import utcnow
from storage import StorageError
from wallet.catalog import service as catalog_service
from wallet.catalog.models import LicenseType
from wallet.dependencies import DELEGATION_GRANT, DELEGATION_READ, Caller
from wallet.errors import AssuranceRequired, NotFound, WalletError
from wallet.licenses import access, grants, service
from wallet.licenses.models import AccessLog, License, UseGrant

# Assurance levels below which the wallet stays closed (issue 14: identity proofing before the wallet opens).
SELF_ASSERTED = "low"


def require_assurance(*, session: Session, caller: Caller) -> None:
    """The wallet opens for a person only at ``substantial`` or above: at ``low`` the answer says how many
    licenses wait for the number and how to raise the level, never what they are."""
    if not caller.is_person or caller.claims.get("acr") != SELF_ASSERTED:
        return
    waiting = len(service.list_for_holders(session=session, holder_indexes=caller.holder_indexes(DELEGATION_READ)))
    raise AssuranceRequired(
        f"您名下有 {waiting} 张证照。请先完成实名认证（/proofing），重新登录后即可查看和使用 "
        f"({waiting} license(s) wait for this number: complete real-name verification at /proofing and "
        "sign in again to see and use them)",
        field="acr",
    )


def list_licenses(*, session: Session, caller: Caller, all_versions: bool = False) -> Sequence[License]:
    """The caller's licenses and those of the organisation they act for (current versions unless asked);
    a relying party's listing is in the holder's access log, one row per license it saw."""
    require_assurance(session=session, caller=caller)
    rows = service.list_for_holders(session=session, holder_indexes=caller.holder_indexes(DELEGATION_READ))
    shown = rows if all_versions else [r for r in rows if r.status != "superseded"]
    if shown and access.is_relying_party(caller):
        now = utcnow()
        for lic in shown:
            grants.add_entry(session, _entry(caller, lic, action="list", channel="wallet", now=now))
        session.commit()
    return shown


def get_license(
    *,
    session: Session,
    caller: Caller,
    identifier: str,
    action: str = DELEGATION_READ,
    channel: str = "wallet",
    log_as: str | None = "read",
    now: datetime | None = None,
) -> License:
    """One license the caller holds (404 otherwise); reads by an agent rather than the holder are logged as
    ``log_as`` (None: the caller logs what happened itself, as :func:`get_pdf` does)."""
    lic = access.require_holder(
        caller, service.get_by_identifier(session=session, identifier=identifier), action
    )
    require_assurance(session=session, caller=caller)
    if log_as is not None:
        _log_delegated(session=session, caller=caller, lic=lic, action=log_as, channel=channel, now=now)
    return lic


def _log_delegated(
    *, session: Session, caller: Caller, lic: License, action: str, channel: str, now: datetime | None = None
) -> None:
    """An access-log row when an agent, not the holder, used the license, or any use through a relying
    party (a token whose client is not one of the platform's own channels); committed."""
    if access.is_self(caller, lic) and not access.is_relying_party(caller):
        return
    grants.add_entry(session, _entry(caller, lic, action=action, channel=channel, now=now or utcnow()))
    session.commit()


def _entry(caller: Caller, lic: License, *, action: str, channel: str, now: datetime) -> AccessLog:
    if access.is_relying_party(caller):
        # the holder sees the relying party by its display name, and on whose login it read
        return grants.access_entry(
            lic=lic,
            accessor=f"client:{caller.client_id or ''}",
            accessor_label=caller.client_name,
            action=action,
            channel="relying_party",
            purpose=f"signed in as {caller.name or caller.sub}",
            now=now,
        )
    label = f"{caller.name or ''} ({caller.act_for.role if caller.act_for else ''})"
    return grants.access_entry(
        lic=lic,
        accessor=caller.actor,
        accessor_label=label,
        action=action,
        channel=channel,
        purpose="delegated use",
        now=now,
    )


def get_pdf(*, session: Session, blob_store: Any, caller: Caller, identifier: str) -> tuple[License, bytes]:
    """The sealed original PDF of a license the caller holds. An agent's download is logged once the bytes
    are in hand; when the blob store fails it is logged as ``download_failed`` (the holder sees the attempt,
    never a download that did not happen) and the storage error goes on to the caller."""
    lic = get_license(session=session, caller=caller, identifier=identifier, log_as=None)
    try:
        data: bytes = blob_store.get(lic.pdf_blob_key)
    except StorageError:
        _log_delegated(session=session, caller=caller, lic=lic, action="download_failed", channel="wallet")
        raise
    _log_delegated(session=session, caller=caller, lic=lic, action="download", channel="wallet")
    return lic, data


def grant(
    *,
    session: Session,
    caller: Caller,
    grantee_kind: str,
    grantee: str,
    purpose: str,
    valid_until: datetime,
    identifier: str | None = None,
    type_code: str | None = None,
    holder: str = "self",
    valid_from: datetime | None = None,
    fields: list[str] | None = None,
) -> UseGrant:
    """Grant the use of one license the caller holds, or of a type for themself or their organisation."""
    lic: License | None = None
    license_type: LicenseType | None = None
    if identifier:
        lic = get_license(session=session, caller=caller, identifier=identifier, action=DELEGATION_GRANT)
        hid = lic.holder_index
    elif type_code:
        license_type = catalog_service.require_type(session=session, type_code=type_code)
        if holder == "organization":
            if caller.act_for is None or caller.act_for.hid not in caller.holder_indexes(DELEGATION_GRANT):
                raise WalletError(
                    "you do not act for an organisation with the right to grant",
                    field="holder",
                    code="no_delegation",
                )
            hid = caller.act_for.hid
        elif caller.hid:
            hid = caller.hid
        else:
            raise WalletError("your token carries no holder index (hid)", field="holder")
    else:
        raise WalletError("name a license (identifier) or a license type (type_code)", field="identifier")
    return grants.create(
        session=session,
        actor=caller.actor,
        holder_index=hid,
        grantee_kind=grantee_kind,
        grantee=grantee,
        purpose=purpose,
        valid_until=valid_until,
        valid_from=valid_from,
        lic=lic,
        license_type=license_type,
        fields=fields,
    )


def withdraw(*, session: Session, caller: Caller, grant_id: int) -> UseGrant:
    """Withdraw a grant over a license the caller may grant (theirs, or their organisation's); another's
    grant is answered as unknown. Commits."""
    row = grants.get(session=session, grant_id=grant_id)
    if row is None or row.holder_index not in caller.holder_indexes(DELEGATION_GRANT):
        raise NotFound("no such grant", field="grant_id", code="grant_not_found")
    return grants.withdraw(session=session, grant=row, actor=caller.actor)
