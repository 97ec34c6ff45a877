"""OpenID Connect Core 1.0 §8 — Subject Identifier Types: ``public`` and ``pairwise``.

https://openid.net/specs/openid-connect-core-1_0.html#SubjectIDTypes ·
pairwise algorithm §8.1: https://openid.net/specs/openid-connect-core-1_0.html#PairwiseAlg

The platform's own channels (hall, kiosk, mobile app, department systems) get the person's public ``sub``;
a third-party relying party gets a pairwise one: a keyed hash of its *sector* and the person's public
``sub``, so two sectors cannot join their users on ``sub`` and the person's platform-wide id never leaves.

The value is computed once per (sector, person) and then stored (``idp_pairwise_subject``): it must stay the
same for the relying party for ever, and a master-key rotation (which changes every keyed hash,
onenumber/rekey.py) must not change the identifiers relying parties already hold. The stored row is also
how userinfo finds the person behind a pairwise ``sub``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.crypto import blind_index
from core.settings import Settings
from idp.errors import InvalidField
from idp.oauth.models import Client, PairwiseSubject
from idp.parties import service as party_service
from idp.parties.models import Person

PUBLIC = "public"
PAIRWISE = "pairwise"
SUBJECT_TYPES = (PUBLIC, PAIRWISE)
PAIRWISE_CONTEXT = "idp.pairwise-sub"
# Loopback relying parties (development, the interop suite) may serve their sector document over http.
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

_STORED = select(PairwiseSubject.sub).where(
    PairwiseSubject.sector == bindparam("sector"), PairwiseSubject.person_id == bindparam("person_id")
)
_BY_SUB = (
    select(Person)
    .join(PairwiseSubject, PairwiseSubject.person_id == Person.id)
    .where(PairwiseSubject.sub == bindparam("sub"), PairwiseSubject.sector == bindparam("sector"))
)


def _host(uri: str, *, field: str) -> str:
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        host = None
    if not host:
        raise InvalidField(f"{uri!r} has no host", field=field, rule="uri")
    return host.lower()


def sector_of(*, client_id: str, redirect_uris: list[str], sector_identifier_uri: str | None) -> str:
    """§8.1: the host of ``sector_identifier_uri`` if given, else the host of the redirect URIs (all on one
    host, else a ``sector_identifier_uri`` is needed). A client without redirect URIs (device flow) is a
    sector of its own, named after its client id."""
    if sector_identifier_uri:
        parts = urlsplit(sector_identifier_uri)
        host = _host(sector_identifier_uri, field="sector_identifier_uri")
        if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
            raise InvalidField(
                "sector_identifier_uri must be an https URL", field="sector_identifier_uri", rule="https"
            )
        return host
    hosts = {_host(uri, field="redirect_uris") for uri in redirect_uris}
    if len(hosts) > 1:
        raise InvalidField(
            "the redirect URIs are on several hosts: a pairwise client needs a sector_identifier_uri (OIDC Core §8.1)",
            field="sector_identifier_uri",
            rule="required",
        )
    return hosts.pop() if hosts else f"client:{client_id}"


def check_sector_document(document: object, *, redirect_uris: list[str]) -> None:
    """§8.1 / Registration §5: the sector document is a JSON array holding every redirect URI of the client."""
    if not isinstance(document, list) or not all(isinstance(u, str) for u in document):
        raise InvalidField(
            "the sector_identifier_uri document must be a JSON array of URLs", field="sector_identifier_uri"
        )
    missing = [u for u in redirect_uris if u not in document]
    if missing:
        raise InvalidField(
            f"redirect URIs missing from the sector_identifier_uri document: {' '.join(missing)}",
            field="sector_identifier_uri",
            rule="sector",
        )


def pairwise_value(*, sector: str, person_sub: str, settings: Settings) -> str:
    """The keyed hash (HMAC-SHA256 under a key derived from the master key) of sector and public ``sub``."""
    return blind_index(f"{sector}\n{person_sub}", master_key=settings.secret_key, context=PAIRWISE_CONTEXT)


def subject_for(*, session: Session, settings: Settings, client: Client, person: Person) -> str:
    """The ``sub`` that ``client`` knows ``person`` by (ID token, userinfo, access token, logout token)."""
    if client.subject_type != PAIRWISE or not client.sector_identifier:
        return person.sub
    sector = client.sector_identifier
    stored = session.execute(_STORED, {"sector": sector, "person_id": person.id}).scalar_one_or_none()
    if stored is not None:
        return str(stored)
    value = pairwise_value(sector=sector, person_sub=person.sub, settings=settings)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(PairwiseSubject)
        .values(sector=sector, person_id=person.id, sub=value)
        .on_conflict_do_nothing(index_elements=[PairwiseSubject.sector, PairwiseSubject.person_id])
    )
    # (a parallel first login stored it first: read what it stored, the same value unless the key changed)
    stored = session.execute(_STORED, {"sector": sector, "person_id": person.id}).scalar_one_or_none()
    return str(stored) if stored is not None else value


def person_for(*, session: Session, client: Client | None, sub: str) -> Person | None:
    """The person behind ``sub`` as ``client`` knows it (public or pairwise), or None."""
    if client is not None and client.subject_type == PAIRWISE and client.sector_identifier:
        return session.execute(_BY_SUB, {"sub": sub, "sector": client.sector_identifier}).scalar_one_or_none()
    return party_service.get_by_sub(session=session, sub=sub)
