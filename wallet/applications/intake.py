"""Applying from a page in one step: the files attached to the form are checked and stored as materials,
then the application is submitted (一号申请) or the supplement request answered (补正).

The hall, the counter console and the hall's supplement form all go through here, so the order is the
same everywhere: every attached file is checked before any is stored (a refused file leaves no blob
behind), the stored materials are kept (and reused) even when the submission is then refused, and what was
stored is offered again on the page shown after a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from wallet.applications import materials, submission
from wallet.applications import supplement as supplement_service
from wallet.applications.applicant import Applicant, acting_for
from wallet.applications.models import Application
from wallet.applications.resolve import Preparation
from wallet.dependencies import Caller
from wallet.services.models import ServiceItem


@dataclass(frozen=True)
class Upload:
    """A file attached to the form for one document requirement."""

    data: bytes
    content_type: str
    filename: str


def store_uploads(
    *,
    session: Session,
    blob_store: Any,
    settings: Settings,
    item: ServiceItem,
    applicant: Applicant,
    uploads: Mapping[str, Upload],
    actor: str,
    at_counter: bool = False,
) -> dict[str, int]:
    """Check every file against its requirement, then store each (flushes); requirement key → document id."""
    limit = settings.upload_limit_bytes
    for key, up in uploads.items():
        req = materials.document_requirement(item=item, key=key)
        materials.check_upload(req=req, data=up.data, content_type=up.content_type, limit=limit)
    stored: dict[str, int] = {}
    for key, up in uploads.items():
        doc = materials.upload(
            session=session,
            blob_store=blob_store,
            item=item,
            applicant=applicant,
            requirement=key,
            data=up.data,
            content_type=up.content_type,
            filename=up.filename,
            actor=actor,
            limit=limit,
            at_counter=at_counter,
        )
        stored[key] = doc.id
    return stored


def submit_with_uploads(
    *,
    session: Session,
    settings: Settings,
    blob_store: Any,
    item: ServiceItem,
    applicant: Applicant,
    uploads: Mapping[str, Upload],
    actor: str,
    form: dict[str, dict[str, Any]],
    commitments: Sequence[str],
    selections: dict[str, Any],
    idempotency_key: str | None = None,
    holder_number: str | None = None,
    channel: str = "online",
    clerk: Caller | None = None,
) -> submission.Submission:
    """Store the attached documents and commit them, then submit the application and commit it.

    ``selections`` gains the stored documents' ids (the page shown after a refusal offers them); a walk-in
    application at a counter (``clerk`` given) stores its checked originals with trust B.
    """
    stored = store_uploads(
        session=session,
        blob_store=blob_store,
        settings=settings,
        item=item,
        applicant=applicant,
        uploads=uploads,
        actor=actor,
        at_counter=clerk is not None,
    )
    selections.update(stored)
    session.commit()
    done = submission.submit(
        session=session,
        settings=settings,
        item=item,
        applicant=applicant,
        form=form,
        commitments=commitments,
        selections=selections,
        idempotency_key=idempotency_key,
        holder_number=holder_number,
        channel=channel,
        clerk=clerk,
    )
    session.commit()
    return done


def prepare_supplement(
    *, session: Session, caller: Caller, app: Application, now: datetime | None = None, **answers: Any
) -> Preparation:
    """What the supplement request lists, resolved for the application's own applicant as the caller acts
    now (``answers``: the form, commitments and selections given so far)."""
    applicant = acting_for(caller, app)
    return supplement_service.prepare(session=session, app=app, applicant=applicant, now=now or utcnow(), **answers)


def supplement_with_uploads(
    *,
    session: Session,
    settings: Settings,
    blob_store: Any,
    caller: Caller,
    app: Application,
    uploads: Mapping[str, Upload],
    form: dict[str, dict[str, Any]],
    commitments: Sequence[str],
    selections: dict[str, Any],
) -> Application:
    """补正: store the attached documents the request lists (any other file is ignored), then answer the
    request with them. Commits; ``selections`` gains the stored documents' ids."""
    listed = set(supplement_service.asked_keys(session=session, app=app))
    asked = {r.key for r in app.item.active_requirements if r.key in listed}  # as prepare_supplement lists them
    stored = store_uploads(
        session=session,
        blob_store=blob_store,
        settings=settings,
        item=app.item,
        applicant=acting_for(caller, app),
        uploads={k: up for k, up in uploads.items() if k in asked},
        actor=caller.actor,
    )
    selections.update(stored)
    session.flush()
    return supplement_service.supplement(
        session=session,
        caller=caller,
        serial=app.serial,
        form=form,
        commitments=commitments,
        selections=selections,
    )
