"""Counter staff API (role ``counter``): raise assurance after an in-person check, issue reset codes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from core import worklog
from core.runtime import runtime_of
from idp.errors import Forbidden, InvalidToken, NotFound
from idp.parties import recovery
from idp.parties import service as party_service
from idp.tokens import VERIFIER

router = APIRouter(prefix="/idp/counter", tags=["idp counter"])


async def counter_staff(request: Request) -> dict[str, Any]:
    """Claims of a valid access token whose person holds the ``counter`` role."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() != "bearer ":
        raise InvalidToken("no bearer token")
    verifier = runtime_of(request).get(VERIFIER)
    claims: dict[str, Any] = await run_in_threadpool(verifier, auth[7:].strip())
    if claims.get("party_type") != "person" or "counter" not in claims.get("roles", []):
        raise Forbidden("counter staff only")
    return claims


StaffDep = Annotated[dict[str, Any], Depends(counter_staff)]


class AssuranceIn(BaseModel):
    """Identity checked in person: the number and the new level."""

    number: str = Field(min_length=15, max_length=18)
    level: Literal["substantial", "high"] = "high"


class AssuranceOut(BaseModel):
    """The person's new level (number masked)."""

    sub: str
    masked_number: str
    assurance: str


class ResetCodeIn(BaseModel):
    """The number of the person standing at the counter."""

    number: str = Field(min_length=15, max_length=18)


class ResetCodeOut(BaseModel):
    """The one-time code to hand over (shown once)."""

    code: str
    masked_number: str
    expires_in: int


@router.post("/assurance", response_model=AssuranceOut)
def raise_assurance(body: AssuranceIn, staff: StaffDep, request: Request) -> AssuranceOut:
    """Raise a person's assurance after checking the identity document in person."""
    settings = runtime_of(request).settings
    with runtime_of(request).sessionmaker() as session:
        person = party_service.get_by_number(
            session=session, settings=settings, number=body.number.strip().upper()
        )
        if person is None:
            raise NotFound("no person with this number is registered", field="number")
        party_service.raise_assurance(session=session, person=person, level=body.level)
        worklog.append(
            session=session,
            actor=f"person:{staff['sub']}",
            action="person.assurance",
            object=f"person:{person.sub}",
            details={"level": body.level},
        )
        session.commit()
        masked = party_service.mask_number(party_service.number_of(person, settings=settings))
        return AssuranceOut(sub=person.sub, masked_number=masked, assurance=person.assurance)


@router.post("/reset-codes", response_model=ResetCodeOut)
def issue_reset_code(body: ResetCodeIn, staff: StaffDep, request: Request) -> ResetCodeOut:
    """Issue a one-time password-reset code for the person at the counter."""
    settings = runtime_of(request).settings
    with runtime_of(request).sessionmaker() as session:
        person = party_service.get_by_number(
            session=session, settings=settings, number=body.number.strip().upper()
        )
        if person is None:
            raise NotFound("no person with this number is registered", field="number")
        code = recovery.issue_code(session=session, person=person, staff_sub=str(staff["sub"]))
        session.commit()
        masked = party_service.mask_number(party_service.number_of(person, settings=settings))
        return ResetCodeOut(
            code=code, masked_number=masked, expires_in=int(recovery.RESET_CODE_TTL.total_seconds())
        )
