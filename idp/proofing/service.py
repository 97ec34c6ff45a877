"""The platform's side of identity proofing: checks against the configured provider, the person's level,
and the attempts counted per resident ID (registration and proofing)."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.inputs import ascii_digits
from core.settings import Settings
from idp.errors import AccountLocked, InvalidField, NotFound
from idp.parties import service as party_service
from idp.parties.models import NumberAttempt, Person, ProofingCheck
from idp.proofing.api import ProofingProvider, ProofingRefused, ProofingUnavailable, Verdict
from idp.proofing.http import HttpProvider
from idp.sessions import ACR_RANK

PROOFED_LEVELS = ("substantial", "high")
CHECK_TTL = timedelta(minutes=5)
PROOFING_DAILY_PER_NUMBER = 5  # SMS codes sent per resident ID and day
DAY = timedelta(days=1)

_providers: dict[tuple[str, str, str, float, int], ProofingProvider] = {}
_providers_lock = threading.Lock()


def is_configured(settings: Settings) -> bool:
    """True when a provider URL and a way to check its signature (JWKS URL or key) are set."""
    return bool(settings.proofing_url and (settings.proofing_jwks_url or settings.proofing_public_key))


def provider_for(settings: Settings) -> ProofingProvider:
    """The configured provider (one client per configuration), or ProofingUnavailable."""
    if not is_configured(settings):
        raise ProofingUnavailable("real-name verification is not configured (ONENUMBER_PROOFING_URL)")
    key = (settings.proofing_url, settings.proofing_jwks_url, settings.proofing_public_key,
           settings.proofing_timeout, settings.proofing_max_age)
    with _providers_lock:
        provider = _providers.get(key)
        if provider is None:
            provider = HttpProvider(settings.proofing_url, jwks_url=settings.proofing_jwks_url,
                                    public_key=settings.proofing_public_key, timeout=settings.proofing_timeout,
                                    max_age=settings.proofing_max_age)
            _providers[key] = provider
        return provider


def is_proofed(person: Person) -> bool:
    """True when the person's identity was verified (by a provider or at the counter)."""
    return person.assurance in PROOFED_LEVELS


def attempts_today(*, session: Session, number_index: str, kind: str) -> int:
    """Attempts of ``kind`` against this number in the last 24 hours."""
    since = utcnow() - DAY
    return int(session.scalar(
        select(func.count()).select_from(NumberAttempt).where(
            NumberAttempt.number_index == number_index, NumberAttempt.kind == kind, NumberAttempt.created_at > since
        )
    ) or 0)


def note_attempt(*, session: Session, number_index: str, kind: str) -> int:
    """Count one attempt of ``kind``; return how many there were today before it."""
    before = attempts_today(session=session, number_index=number_index, kind=kind)
    session.add(NumberAttempt(number_index=number_index, kind=kind))
    session.flush()
    return before


def registration_refusal(*, session: Session, settings: Settings, number: str) -> str | None:
    """Why registering ``number`` is refused now (``throttled`` or ``proofed``), or None; counts the attempt.

    A number whose account was real-name verified is refused with its own rule (the page links to password
    reset); each valid attempt counts, ``ONENUMBER_REGISTER_DAILY_PER_NUMBER`` a day.
    """
    index = party_service.number_index(party_service.validate_number(number), settings=settings)
    limit = settings.register_daily_per_number
    before = note_attempt(session=session, number_index=index, kind="register")
    if limit > 0 and before >= limit:
        return "throttled"
    existing = party_service.get_by_number(session=session, settings=settings, number=number)
    if existing is not None and is_proofed(existing):
        return "proofed"
    return None


def start(
    *, session: Session, settings: Settings, provider: ProofingProvider, person: Person, phone: str
) -> ProofingCheck:
    """Ask the provider to check the person's name + number + ``phone``; it sends the SMS code."""
    phone = phone.strip()
    if not (ascii_digits(phone) and 6 <= len(phone) <= 15):
        raise InvalidField("手机号码应为 6 到 15 位数字", field="phone", rule="format")
    if attempts_today(session=session, number_index=person.number_index, kind="proofing") >= PROOFING_DAILY_PER_NUMBER:
        raise AccountLocked("too many real-name checks for this number today")
    note_attempt(session=session, number_index=person.number_index, kind="proofing")
    session.commit()  # the attempt counts even if the provider fails below
    nonce = secrets.token_urlsafe(24)
    challenge = provider.start(
        name=person.name, id_number=party_service.number_of(person, settings=settings), phone=phone, nonce=nonce
    )
    row = ProofingCheck(
        person_id=person.id,
        provider=urlparse(provider.name).netloc or provider.name[:200],
        transaction=challenge.transaction,
        nonce=nonce,
        phone=phone,
        expires_at=utcnow() + min(CHECK_TTL, timedelta(seconds=max(challenge.expires_in, 1))),
    )
    session.add(row)
    session.flush()
    return row


def get_pending(*, session: Session, person: Person, check_id: int) -> ProofingCheck:
    """The person's pending, unexpired check ``check_id``, or NotFound."""
    row = session.get(ProofingCheck, check_id)
    if row is None or row.person_id != person.id or row.status != "pending" or row.expires_at <= utcnow():
        raise NotFound("no pending real-name check", field="check")
    return row


def confirm(
    *, session: Session, provider: ProofingProvider, person: Person, check: ProofingCheck, code: str
) -> Verdict:
    """Send the SMS code; on a signed match raise the person's level (never lower it).

    WrongCode leaves the check pending (the provider allows a few tries); ProofingRefused (a forged or stale
    answer) closes it as ``refused`` and leaves the person's level as it was.
    """
    try:
        verdict = provider.confirm(transaction=check.transaction, code=code.strip(), nonce=check.nonce)
    except ProofingRefused:
        check.status, check.completed_at = "refused", utcnow()
        session.flush()
        raise
    check.completed_at = utcnow()
    if not verdict.match or verdict.level is None:
        check.status = "no_match"
        session.flush()
        return verdict
    check.status, check.level = "matched", verdict.level
    if ACR_RANK.get(verdict.level, 0) > ACR_RANK.get(person.assurance, 0):
        party_service.raise_assurance(session=session, person=person, level=verdict.level,
                                      by=f"provider:{check.provider}")
    person.phone = check.phone  # possession of this phone was just proven
    session.flush()
    return verdict
