"""The authorization server: authlib's ``AuthorizationServer`` bound to one request's database session.

An instance is cheap (a few list appends), so each request gets its own: grants then reach the
request's session through ``self.server`` and nothing is shared between threads but the key ring.
The grants and endpoints are registered by whoever builds the server (:func:`idp.oauth.adapter.new_server`
with :func:`idp.oauth.grants.register_all`), so this module imports none of them.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Request
from sqlalchemy import insert
from sqlalchemy.orm import Session

from core import worklog
from core.clock import utcnow
from core.metrics import TOKENS_ISSUED
from core.settings import Settings
from idp import sessions as sso
from idp.keys.service import KeyRing
from idp.oauth import clients
from idp.oauth.clients import OAuthClient
from idp.oauth.hashing import token_hash
from idp.oauth.models import RefreshToken
from idp.parties.models import Person
from idp.tokens import Principal, issue_access_token

STANDARD_SCOPES = ["openid", "profile", "id_number", "phone", "offline_access"]
MINTED = "minted"  # key of a refresh row's claims: the access token issued with it ({jti, exp, client_id, sub})


def _minted(claims: dict[str, Any] | None) -> dict[str, Any] | None:
    """What revoking the access token needs of its claims (None when there is no access token)."""
    if not claims or "jti" not in claims:
        return None
    return {k: claims[k] for k in ("jti", "exp", "client_id", "sub") if k in claims}


def grant_type_of(request: OAuth2Request) -> str | None:
    """The grant type of a token request."""
    return request.payload.grant_type if request.payload is not None else None


class OneNumberServer(AuthorizationServer):  # type: ignore[misc]
    """OAuth 2.0 / OIDC authorization server for one request."""

    def __init__(self, *, session: Session, settings: Settings, keyring: KeyRing) -> None:
        super().__init__(scopes_supported=None)
        self.session = session
        self.settings = settings
        self.keyring = keyring
        self.issued_claims: dict[str, Any] | None = None
        self.register_token_generator("default", self._generate_token)

    # -- authlib hooks ---------------------------------------------------------------------------
    def query_client(self, client_id: str) -> OAuthClient | None:
        row = clients.get_cached(session=self.session, client_id=client_id)
        if row is None or row.disabled:
            return None
        return OAuthClient(row=row, settings=self.settings)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        # The adapter has already built the request from the asynchronously read body.
        if not isinstance(request, OAuth2Request):
            raise TypeError("build the OAuth2Request with idp.oauth.adapter first")
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, list(headers or [])

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal bus: work-log entries are written where things happen."""

    # -- tokens ----------------------------------------------------------------------------------
    def _generate_token(
        self,
        grant_type: str,
        client: OAuthClient,
        user: Principal | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        scope = scope or ""
        access, claims = issue_access_token(
            keyring=self.keyring,
            settings=self.settings,
            client_id=client.client_id,
            scope=scope,
            principal=user,
            department=client.row.department_code if user is None else None,
            expires_in=expires_in,
            client_claims=clients.token_claims(client.row),
        )
        self.issued_claims = claims
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": claims["exp"] - claims["iat"],  # what the token says (capped by a delegation's end)
            "scope": scope,
        }
        if include_refresh_token and user is not None and "offline_access" in scope.split():
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        user: Principal | None = request.user
        client: OAuthClient = request.client
        refresh = token.get("refresh_token")
        if refresh and user is not None:
            view = getattr(request, "refresh_token", None)
            parent: RefreshToken | None = view.row if view is not None else None
            # A bulk INSERT, not a unit-of-work flush: nothing reads the new row in this request.
            self.session.execute(
                insert(RefreshToken),
                [
                    {
                        "token_hash": token_hash(refresh),
                        "family": parent.family if parent is not None else secrets.token_urlsafe(24),
                        "parent_id": parent.id if parent is not None else None,
                        "client_id": client.client_id,
                        "person_id": user.person_id,
                        "sid": user.sid,
                        "scope": token["scope"],
                        # the login facts, and the access token minted beside this refresh token: revoking the
                        # family (reuse, a replayed code, /revoke) revokes every access token it minted too
                        "claims": {**user.claims(), MINTED: _minted(self.issued_claims)},
                        "expires_at": utcnow() + timedelta(seconds=self.settings.refresh_token_ttl),
                    }
                ],
            )
        if user is not None and user.sid and grant_type_of(request) != "refresh_token":
            # (a refresh token's family began with a code or device grant of this client, which noted it)
            sso.note_client(session=self.session, sid=user.sid, client_id=client.client_id)
        TOKENS_ISSUED.labels(grant_type_of(request) or "unknown").inc()
        claims = self.issued_claims or {}
        # the work log names persons by their public sub, whatever (pairwise) sub the client was given
        person = self.session.get(Person, user.person_id) if user is not None else None
        worklog.append(
            session=self.session,
            actor=f"client:{client.client_id}",
            action="token.issue",
            object=f"person:{person.sub if person else user.sub}" if user else f"client:{client.client_id}",
            details={
                "grant_type": request.payload.grant_type,
                "jti": claims.get("jti"),
                "scope": token["scope"],
            },
        )
        self.session.flush()
