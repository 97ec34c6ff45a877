"""OAuth clients: registration, hashed secrets, and the authlib ``ClientMixin`` view of a row."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from core import invalidation
from core.crypto import blind_index
from core.rowcache import RowCache, TtlMap, detached_copy, engine_of
from core.settings import Settings
from idp.errors import InvalidField, NotFound
from idp.oauth import subjects
from idp.oauth.models import Client

KINDS = ("web", "mobile", "kiosk", "department")
PUBLIC_KINDS = ("mobile", "kiosk")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_GRANTS = {
    "web": ["authorization_code", "refresh_token"],
    "mobile": ["authorization_code", "refresh_token"],
    "kiosk": [DEVICE_GRANT],
    "department": ["client_credentials"],
}


def hash_secret(secret: str, *, settings: Settings) -> str:
    """Keyed hash of a client secret (secrets are random, so a fast keyed hash suffices)."""
    return blind_index(secret, master_key=settings.secret_key, context="client.secret")


@dataclass
class OAuthClient(ClientMixin):  # type: ignore[misc]
    """authlib's view of a client row (detached, safe to use across threads)."""

    row: Client
    settings: Settings

    @property
    def client_id(self) -> str:
        return self.row.client_id

    @property
    def is_public(self) -> bool:
        return self.row.secret_hash is None

    @property
    def id_token_signed_response_alg(self) -> str:
        return self.row.id_token_signed_response_alg

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        # Strict: a scope the client may not ask for is an error (invalid_scope), never silently dropped.
        if not scope:
            return " ".join(self.row.scopes)
        requested = scope.split()
        if any(s not in self.row.scopes for s in requested):
            return None
        return " ".join(dict.fromkeys(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact match, RFC 9700 §4.1.3

    def check_client_secret(self, client_secret: str) -> bool:
        if self.row.secret_hash is None:
            return False
        return hmac.compare_digest(self.row.secret_hash, hash_secret(client_secret, settings=self.settings))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types


def token_claims(row: Client) -> dict[str, Any]:
    """Claims about the client in its person tokens: its display name (for the holder's access log) and
    whether it is one of the platform's own channels (``trusted``: hall, kiosk, mobile app)."""
    return {"client_name": row.name, "first_party": bool(row.trusted)}


def get(*, session: Session, client_id: str) -> Client | None:
    """The client row, or None."""
    return session.get(Client, client_id)


# Clients change rarely and every token request needs one, so each process keeps a short-lived copy.
# A change made in this process (create, rotate_secret, disable, any ORM edit of a Client row) drops the
# copy at flush and again at commit. The same mapper events publish the change (``NOTIFY`` in the changing
# transaction, core/invalidation.py), so on PostgreSQL every other process drops its copy as the change
# commits; CACHE_TTL stays as the backstop (changes written without the ORM, a listener that is away).
CACHE_TTL = 5.0
TOPIC = "client"


def _listen(engine: Engine, table: TtlMap[str, Client]) -> None:
    """Other processes' client changes on ``engine``'s database drop this process's copy at once."""
    invalidation.subscribe(engine, TOPIC, table.invalidate, on_reset=table.invalidate)


_cache: RowCache[str, Client] = RowCache(CACHE_TTL, on_engine=_listen)


def get_cached(*, session: Session, client_id: str) -> Client | None:
    """The client row as of at most ``CACHE_TTL`` seconds ago (a detached copy: read it, never change it).
    An unknown client is not cached: a client registered a moment later must work at once."""

    def load() -> Client | None:
        row = session.get(Client, client_id)
        return detached_copy(row) if row is not None else None

    return _cache.get(engine_of(session), client_id, load)


def is_cached(engine: Engine, client_id: str) -> bool:
    """True when this process holds a fresh copy of ``client_id`` (so :func:`get_cached` will not query)."""
    return _cache.is_fresh(engine, client_id)


def forget_cached(client_id: str | None = None) -> None:
    """Drop the cached copy of ``client_id`` (or of every client) in this process."""
    _cache.invalidate(client_id)


def _on_client_change(_mapper: Any, connection: Any, target: Client) -> None:
    invalidation.publish(connection, TOPIC, target.client_id)
    forget_cached(target.client_id)
    owner = Session.object_session(target)
    if owner is not None:
        owner.info.setdefault("idp_clients_changed", set()).add(target.client_id)


def _after_commit(session: Session) -> None:
    # Again after commit: a concurrent reader may have cached the old row between flush and commit.
    changed = session.info.pop("idp_clients_changed", None)
    for client_id in changed or ():
        forget_cached(client_id)


for _name in ("after_insert", "after_update", "after_delete"):
    event.listen(Client, _name, _on_client_change)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", lambda session, _tx: session.info.pop("idp_clients_changed", None))


def list_all(*, session: Session) -> list[Client]:
    """Every client, by id."""
    return list(session.scalars(select(Client).order_by(Client.client_id)))


def create(
    *,
    session: Session,
    settings: Settings,
    client_id: str,
    name: str,
    kind: str,
    redirect_uris: list[str] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    grant_types: list[str] | None = None,
    scopes: list[str] | None = None,
    secret: str | None = None,
    backchannel_logout_uri: str | None = None,
    id_token_alg: str = "ES256",
    department_code: str | None = None,
    trusted: bool = False,
    subject_type: str | None = None,
    sector_identifier_uri: str | None = None,
) -> tuple[Client, str | None]:
    """Register a client; confidential kinds get a secret (generated unless given). Returns (row, secret).

    ``subject_type`` (OIDC Core §8) defaults to ``public`` for the platform's own channels (``trusted``) and
    department systems, ``pairwise`` for third parties; a pairwise client's sector is fixed here (§8.1,
    :func:`idp.oauth.subjects.sector_of`: a ``sector_identifier_uri`` is needed for several redirect hosts)."""
    if kind not in KINDS:
        raise InvalidField(f"kind must be one of {', '.join(KINDS)}", field="kind", rule="choice")
    if id_token_alg not in ("ES256", "RS256"):
        raise InvalidField("id_token_alg must be ES256 or RS256", field="id_token_alg", rule="choice")
    if session.get(Client, client_id) is not None:
        raise InvalidField("client id already registered", field="client_id", rule="unique")
    if kind == "department" and not department_code:
        raise InvalidField("a department system client needs its department code", field="department_code")
    if subject_type is None:
        subject_type = subjects.PUBLIC if trusted or kind == "department" else subjects.PAIRWISE
    if subject_type not in subjects.SUBJECT_TYPES:
        raise InvalidField("subject_type must be public or pairwise", field="subject_type", rule="choice")
    sector = None
    if subject_type == subjects.PAIRWISE:
        sector = subjects.sector_of(
            client_id=client_id, redirect_uris=redirect_uris or [], sector_identifier_uri=sector_identifier_uri
        )
    elif sector_identifier_uri:
        raise InvalidField("only pairwise clients have a sector identifier", field="sector_identifier_uri")
    if kind in PUBLIC_KINDS:
        secret = None
    else:
        secret = secret or secrets.token_urlsafe(32)
    row = Client(
        client_id=client_id,
        name=name,
        kind=kind,
        secret_hash=hash_secret(secret, settings=settings) if secret else None,
        redirect_uris=redirect_uris or [],
        post_logout_redirect_uris=post_logout_redirect_uris or [],
        grant_types=grant_types or DEFAULT_GRANTS[kind],
        scopes=scopes or ["openid", "profile"],
        backchannel_logout_uri=backchannel_logout_uri,
        id_token_signed_response_alg=id_token_alg,
        department_code=department_code,
        trusted=trusted,
        subject_type=subject_type,
        sector_identifier_uri=sector_identifier_uri,
        sector_identifier=sector,
    )
    session.add(row)
    session.flush()
    return row, secret


def rotate_secret(*, session: Session, settings: Settings, client_id: str) -> str:
    """Give a confidential client a new secret (the old one stops working at once in this process, in the
    other processes as the change commits on PostgreSQL, at worst after ``CACHE_TTL`` seconds)."""
    row = session.get(Client, client_id)
    if row is None:
        raise NotFound(f"no client {client_id}")
    if row.kind in PUBLIC_KINDS:
        raise InvalidField("public clients have no secret", field="client_id", rule="public")
    secret = secrets.token_urlsafe(32)
    row.secret_hash = hash_secret(secret, settings=settings)
    session.flush()
    return secret


def disable(*, session: Session, client_id: str) -> Client:
    """Disable a client: it can no longer authenticate or receive codes."""
    row = session.get(Client, client_id)
    if row is None:
        raise NotFound(f"no client {client_id}")
    row.disabled = True
    session.flush()
    return row
