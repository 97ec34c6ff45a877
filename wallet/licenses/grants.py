"""用证授权 (use grants) and the access log the holder sees."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import groupcommit, worklog
from core.clock import utcnow
from wallet.catalog import service as catalog_service
from wallet.catalog.models import LicenseType
from wallet.dependencies import Caller
from wallet.errors import InvalidLicenseData, NotFound, WalletError
from wallet.licenses import purposes
from wallet.licenses.models import AccessLog, License, UseGrant
from wallet.licenses.refs import LicenseFacts

GRANTEE_KINDS = ("department", "client")
MAX_GRANT = timedelta(days=366)  # "at most one year", a leap year included, for a grant given by its end
GRANT_DAYS = (1, 365)  # a grant given as a number of days (the hall's form): whole days within a year
MAX_PURPOSE = 500  # the column's length


class UnknownPurpose(WalletError):
    """The grant's purpose is not a code of the purpose catalog (wallet/licenses/purposes.py)."""

    code = "unknown_purpose"
    status_code = 422


def create(
    *,
    session: Session,
    actor: str,
    holder_index: str,
    grantee_kind: str,
    grantee: str,
    purpose: str,
    valid_until: datetime,
    lic: License | None = None,
    license_type: LicenseType | None = None,
    fields: list[str] | None = None,
    valid_from: datetime | None = None,
    now: datetime | None = None,
) -> UseGrant:
    """Grant a department or client the use of one license or of a license type, for a purpose and period."""
    now = now or utcnow()
    granted_type, target = _target(lic=lic, license_type=license_type)
    grantee = _check_grantee(session=session, grantee_kind=grantee_kind, grantee=grantee)
    listed = _listed_purpose(purpose)
    purpose = listed.zh  # stored and shown as its Chinese name (grants made before the catalog: free text)
    start = valid_from or now
    _check_period(start=start, valid_until=valid_until, now=now)
    _check_fields(granted_type, fields)
    grant = UseGrant(
        holder_index=holder_index,
        granted_by=actor,
        grantee_kind=grantee_kind,
        grantee=grantee,
        license_id=lic.id if lic else None,
        type_id=license_type.id if license_type else None,
        purpose=purpose.strip(),
        fields=fields,
        valid_from=start,
        valid_until=valid_until,
        created_at=now,
    )
    session.add(grant)
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.grant.create",
        object=f"grant:{grant.id}",
        details={
            "target": target,
            "grantee": f"{grantee_kind}:{grantee}",
            "purpose": grant.purpose,
            "purpose_code": listed.code,
            "valid_until": valid_until.isoformat(),
        },
    )
    session.commit()
    return grant


def _target(*, lic: License | None, license_type: LicenseType | None) -> tuple[LicenseType, str]:
    """The granted license type and the work log's name of what is granted: one license or one type."""
    if lic is not None and license_type is None:
        return lic.license_type, f"license:{lic.identifier}"
    if license_type is not None and lic is None:
        return license_type, f"license_type:{license_type.type_code}"
    raise WalletError("grant either one license or one license type", field="license")


def _check_grantee(*, session: Session, grantee_kind: str, grantee: str) -> str:
    """The grantee as stored: a department by its credit code as the catalog has it, or a client id."""
    if grantee_kind not in GRANTEE_KINDS:
        raise WalletError(f"grantee_kind is one of {GRANTEE_KINDS}", field="grantee_kind")
    if grantee_kind == "department":
        dept = catalog_service.get_department(session=session, credit_code=grantee)
        if dept is None:
            raise NotFound(f"no department {grantee!r}", field="grantee", code="unknown_department")
        return dept.credit_code
    return grantee


def _listed_purpose(purpose: str) -> purposes.Purpose:
    """The purpose of the grant, a code of the purpose catalog."""
    if not purpose.strip():
        raise WalletError("state the purpose of the grant", field="purpose", code="purpose_required")
    listed = purposes.get(purpose.strip())
    if listed is None:
        raise UnknownPurpose(
            f"purpose is a code of the purpose catalog: {[p.code for p in purposes.list_all()]}", field="purpose"
        )
    return listed


def _check_period(*, start: datetime, valid_until: datetime, now: datetime) -> None:
    """The grant ends in the future, after it starts, and lasts at most one year."""
    if valid_until <= start or valid_until <= now:
        raise WalletError("valid_until must be in the future and after valid_from", field="valid_until")
    if valid_until - start > MAX_GRANT:
        raise WalletError("a grant lasts at most one year", field="valid_until")


def _check_fields(granted_type: LicenseType, fields: list[str] | None) -> None:
    """The fields a grant is limited to are fields of the license type."""
    schema_props = granted_type.field_schema.get("properties", {})
    if fields is not None:
        unknown = [f for f in fields if f not in schema_props]
        if unknown:
            raise InvalidLicenseData(
                f"fields not in this license type: {unknown}", field="fields", rule="enum"
            )


def get(*, session: Session, grant_id: int) -> UseGrant | None:
    """The grant with this id, or None."""
    return session.get(UseGrant, grant_id)


def list_for_holders(*, session: Session, holder_indexes: frozenset[str]) -> Sequence[UseGrant]:
    """Grants made over these holders' licenses, newest first."""
    if not holder_indexes:
        return []
    return (
        session.execute(
            select(UseGrant)
            .where(UseGrant.holder_index.in_(sorted(holder_indexes)))
            .order_by(UseGrant.id.desc())
        )
        .scalars()
        .all()
    )


def withdraw(*, session: Session, grant: UseGrant, actor: str, now: datetime | None = None) -> UseGrant:
    """Withdraw a grant; reads through it stop at once."""
    now = now or utcnow()
    if grant.withdrawn_at is None:
        grant.withdrawn_at = now
        worklog.append(
            session=session, actor=actor, action="wallet.grant.withdraw", object=f"grant:{grant.id}"
        )
        session.commit()
    return grant


def is_active(grant: UseGrant, *, now: datetime) -> bool:
    """Not withdrawn and within its period."""
    return grant.withdrawn_at is None and grant.valid_from <= now < grant.valid_until


def find_active(
    *, session: Session, caller: Caller, lic: License, now: datetime | None = None
) -> UseGrant | None:
    """An active grant that lets this caller (department system, its staff, or a client) read ``lic``."""
    now = now or utcnow()
    matches = []
    departments = caller.reading_departments()
    if departments:
        matches.append((UseGrant.grantee_kind == "department") & UseGrant.grantee.in_(sorted(departments)))
    if not caller.is_person and caller.client_id:
        matches.append((UseGrant.grantee_kind == "client") & (UseGrant.grantee == caller.client_id))
    if not matches:
        return None
    rows = (
        session.execute(
            select(UseGrant)
            .where(
                UseGrant.holder_index == lic.holder_index,
                or_(UseGrant.license_id == lic.id, UseGrant.type_id == lic.type_id),
                or_(*matches),
                UseGrant.withdrawn_at.is_(None),
            )
            .order_by(UseGrant.id.desc())
        )
        .scalars()
        .all()
    )
    return next((g for g in rows if is_active(g, now=now)), None)


def access_entry(
    *,
    lic: License | LicenseFacts,
    accessor: str,
    accessor_label: str,
    action: str,
    channel: str,
    purpose: str = "",
    grant: UseGrant | None = None,
    now: datetime | None = None,
) -> AccessLog:
    """The access-log row of a read or verification of ``lic`` (in no session yet)."""
    return AccessLog(
        license_id=lic.id,
        holder_index=lic.holder_index,
        at=now or utcnow(),
        accessor=accessor,
        accessor_label=accessor_label,
        action=action,
        channel=channel,
        purpose=purpose[:500],
        grant_id=grant.id if grant else None,
    )


def add_entry(session: Session, entry: AccessLog) -> AccessLog:
    """Add an access-log row to the session (or queue it for the endpoint's group commit)."""
    if not groupcommit.defer(session, entry):
        session.add(entry)
    return entry


def log_reads(
    *,
    session: Session,
    licenses: Iterable[License],
    accessor: str,
    accessor_label: str,
    channel: str,
    purpose: str = "",
    now: datetime | None = None,
) -> None:
    """One ``read`` row in the holder's access log for each of ``licenses`` (a clerk looking a person up at
    the window reads all their licenses at once). Commits (or queues them for the endpoint's group commit)."""
    now = now or utcnow()
    for lic in licenses:
        add_entry(
            session,
            access_entry(
                lic=lic,
                accessor=accessor,
                accessor_label=accessor_label,
                action="read",
                channel=channel,
                purpose=purpose,
                now=now,
            ),
        )
    session.commit()


def list_access(*, session: Session, holder_indexes: frozenset[str], limit: int = 200) -> Sequence[AccessLog]:
    """Reads of these holders' licenses, newest first."""
    if not holder_indexes:
        return []
    return (
        session.execute(
            select(AccessLog)
            .where(AccessLog.holder_index.in_(sorted(holder_indexes)))
            .order_by(AccessLog.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


def accessor_of(caller: Caller | None) -> tuple[str, str]:
    """(accessor, label) for the access log: who the reader is, in words the holder understands."""
    if caller is None:
        return "public", "匿名核验 anonymous verifier"
    if caller.is_person:
        dept = sorted(caller.reading_departments())
        return caller.actor, (caller.name or "") + (f" ({dept[0]})" if dept else "")
    return caller.actor, f"{caller.client_id or ''}" + (
        f" ({caller.department})" if caller.department else ""
    )


def valid_until_after(*, days: int, now: datetime | None = None) -> datetime:
    """The end of a grant lasting ``days`` whole days from now; refused outside :data:`GRANT_DAYS`."""
    low, high = GRANT_DAYS
    if not low <= days <= high:
        raise WalletError(f"a grant lasts between {low} and {high} days", field="valid_until", code="grant_days")
    return (now or utcnow()) + timedelta(days=days)
