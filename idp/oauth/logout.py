"""Logout: OpenID Connect RP-Initiated Logout 1.0 and Back-Channel Logout 1.0.

https://openid.net/specs/openid-connect-rpinitiated-1_0.html ·
https://openid.net/specs/openid-connect-backchannel-1_0.html

RP-Initiated §2 / §6 ("the OP SHOULD ask the End-User whether to log out"; a logout request can be forged
by any page): the browser's session ends without asking only when the request is *proven* to come from the
relying party of that session — a valid ``id_token_hint`` whose ``sid`` is the current session's, issued to
a client that received tokens in this session, with a registered ``post_logout_redirect_uri``. Anything
else (a bare GET, a hint for another session or client, no redirect URI) shows a confirmation page whose
POST carries the CSRF token. A hint naming a session other than the browser's never ends that session.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core import worklog
from core.settings import Settings
from idp import sessions as sso
from idp.backchannel import get_backchannel_settings, outbox, worker
from idp.backchannel.outbox import BACKCHANNEL_EVENT
from idp.errors import IdpError
from idp.keys.service import KeyRing
from idp.oauth import subjects
from idp.oauth.models import Client, SsoSession
from idp.parties.models import Person
from idp.tokens import _kid_of

__all__ = ["BACKCHANNEL_EVENT", "EndSession", "end_session", "id_token_hint_claims", "validate_end_session"]


@dataclass(frozen=True)
class EndSession:
    """A validated end-session request: the session to end and where to send the browser."""

    sid: str | None
    client_id: str | None
    redirect_to: str | None
    proven: bool = False  # the request comes from the RP of the current session (module docstring)


def id_token_hint_claims(hint: str, *, keyring: KeyRing, settings: Settings) -> dict[str, Any]:
    """Claims of an ID token we issued; expiry is not checked (RP-Initiated §2: it may have expired)."""
    kid = _kid_of(hint)
    key = keyring.verification_key(kid) if kid else None
    if key is None:
        raise IdpError("id_token_hint was not issued by this provider", field="id_token_hint")
    try:
        claims = jwt.decode(hint, key.key, algorithms=[key.alg]).claims
    except (JoseError, ValueError) as exc:
        raise IdpError("id_token_hint is not a valid ID token", field="id_token_hint") from exc
    if claims.get("iss") != settings.issuer:
        raise IdpError("id_token_hint was issued by another provider", field="id_token_hint")
    return claims


def validate_end_session(
    *,
    session: Session,
    settings: Settings,
    keyring: KeyRing,
    params: dict[str, str],
    current: SsoSession | None,
) -> EndSession:
    """§2–3: check id_token_hint, client_id and that post_logout_redirect_uri is registered (exactly)."""
    client_id = params.get("client_id")
    sid = current.sid if current else None
    hinted_sid = None
    hint = params.get("id_token_hint")
    if hint:
        claims = id_token_hint_claims(hint, keyring=keyring, settings=settings)
        aud = claims.get("aud")
        hinted_client = aud if isinstance(aud, str) else (aud[0] if aud else None)
        if client_id and client_id != hinted_client:
            raise IdpError("client_id does not match id_token_hint", field="client_id")
        client_id = hinted_client
        hinted_sid = claims.get("sid")
    redirect_to = None
    uri = params.get("post_logout_redirect_uri")
    if uri:
        client = session.get(Client, client_id) if client_id else None
        if client is None or uri not in client.post_logout_redirect_uris:
            raise IdpError(
                "post_logout_redirect_uri is not registered for this client", field="post_logout_redirect_uri"
            )
        state = params.get("state")
        redirect_to = uri + (("&" if "?" in uri else "?") + urlencode({"state": state}) if state else "")
    proven = (
        current is not None
        and hinted_sid is not None
        and hinted_sid == current.sid  # §2: the hint's session is this browser's
        and client_id is not None
        and client_id in sso.clients_of(session=session, sid=current.sid)  # … and its client is the session's
        and redirect_to is not None  # … and it names a registered post_logout_redirect_uri
    )
    return EndSession(sid=sid, client_id=client_id, redirect_to=redirect_to, proven=proven)


def end_session(
    *, session: Session, settings: Settings, keyring: KeyRing, sid: str, actor: str | None = None
) -> list[Future[bool]]:
    """Revoke the session and its refresh tokens; notify every client of it over the back channel.

    Back-Channel §2.5: one outbox row per client with a ``backchannel_logout_uri``, in the transaction that
    ends the session (idp/backchannel), so the notice survives a crash or restart; a first attempt follows
    the commit at once, and the retry loop of any instance does the rest."""
    row = session.get(SsoSession, sid)
    if row is None or row.revoked_at is not None:
        return []
    sso.revoke(session=session, row=row)
    worklog.append(
        session=session,
        actor=actor or f"person:{_sub(session, row)}",
        action="logout",
        object=f"session:{sid}",
    )
    give_up_after = get_backchannel_settings().backchannel_give_up_after
    queued = []
    person = session.get(Person, row.person_id)
    for client_id in sso.clients_of(session=session, sid=sid):
        client = session.get(Client, client_id)
        if client is not None and client.backchannel_logout_uri:
            # §2.4: the sub the RP knows (pairwise for a third party, OIDC Core §8)
            sub = "" if person is None else subjects.subject_for(
                session=session, settings=settings, client=client, person=person
            )
            queued.append(outbox.enqueue(
                session=session, settings=settings, client_id=client.client_id, uri=client.backchannel_logout_uri,
                alg=client.id_token_signed_response_alg, sub=sub, sid=sid, give_up_after=give_up_after,
            ))
    session.commit()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return [worker.submit(engine, [q.id], keyring=keyring) for q in queued]


def _sub(session: Session, row: SsoSession) -> str:
    person = session.get(Person, row.person_id)
    return person.sub if person else ""
