"""RFC 6749 §6 — Refreshing an Access Token, with rotation and reuse detection.

https://www.rfc-editor.org/rfc/rfc6749#section-6 · rotation and reuse detection per
RFC 9700 §4.14.2 (https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2).

Each use returns a new refresh token in the same family. A token used again within
``GRACE_SECONDS`` (two tabs refreshing at once) gets the same child back; later reuse revokes the
whole family and the session's standing with this client.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, grants
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import worklog
from core.clock import utcnow
from core.crypto import decrypt_str, encrypt_str
from idp import sessions as sso
from idp.oauth.claims import principal_for_grant
from idp.oauth.hashing import token_hash
from idp.oauth.models import RefreshToken, SsoSession
from idp.oauth.server import MINTED
from idp.parties.models import Person
from idp.tokens import Principal, revoke_access_token

GRACE_SECONDS = 10
_CHILD_CONTEXT = "idp.refresh.child"


# Built once (building a statement costs more than running it): the token with its person and login
# session in one query, and the claim of a parent, which records its child in the same statement.
_FIND = (
    select(RefreshToken, Person, SsoSession)
    .outerjoin(Person, Person.id == RefreshToken.person_id)
    .outerjoin(SsoSession, SsoSession.sid == RefreshToken.sid)
    .where(RefreshToken.token_hash == bindparam("token_hash"))
)
_CLAIM = (
    update(RefreshToken)
    .where(RefreshToken.id == bindparam("rid"), RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
    .values(used_at=bindparam("now"), child_cipher=bindparam("cipher"))
    .execution_options(synchronize_session=False)
)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """Refresh with rotation; public clients authenticate with ``none`` (tokens are bound to the client)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> TokenView | None:
        # One query for the token, its person and its login session (kept on the view for the checks).
        found = self.server.session.execute(_FIND, {"token_hash": token_hash(refresh_token)}).first()
        if found is None:
            return None
        row, person, login = found
        if row.expires_at <= utcnow():
            return None
        return TokenView(row, person=person, login=login)

    def authenticate_user(self, refresh_token: TokenView) -> Principal | None:
        row, person = refresh_token.row, refresh_token.person
        if person is None:
            return None
        return principal_for_grant(
            session=self.server.session,
            settings=self.server.settings,
            person=person,
            sid=row.sid,
            facts=row.claims,
            client=self.request.client.row,
        )

    def revoke_old_credential(self, refresh_token: TokenView) -> None:
        """Nothing to do: the parent was marked used (atomically) before the child was made."""

    def create_token_response(self) -> tuple[int, dict[str, Any], Any]:
        view: TokenView = self.request.refresh_token
        row = view.row
        session, settings = self.server.session, self.server.settings
        if row.revoked_at is not None:
            raise InvalidGrantError("The refresh token was revoked.")
        if row.sid and not sso.row_is_live(view.login):
            raise InvalidGrantError("The login session of this refresh token has ended.")
        user = self.authenticate_user(view)
        if user is None:
            raise InvalidRequestError("There is no 'user' for this token.")
        self.request.user = user
        scope = self.request.payload.scope or row.scope
        token = self.generate_token(user=user, scope=scope, include_refresh_token=True)
        if "refresh_token" not in token:
            raise InvalidGrantError("This grant no longer includes offline access.")
        child_cipher = encrypt_str(token["refresh_token"], master_key=settings.secret_key, context=_CHILD_CONTEXT)
        # Claim the parent (atomically: one concurrent refresh wins) and record its child in one statement.
        now = utcnow()
        claimed = session.execute(_CLAIM, {"rid": row.id, "now": now, "cipher": child_cipher}).rowcount
        if claimed != 1:
            session.refresh(row)
            return self._reuse(row)  # the token made above is dropped unsent
        set_committed_value(row, "used_at", now)
        set_committed_value(row, "child_cipher", child_cipher)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER

    def _reuse(self, row: RefreshToken) -> tuple[int, dict[str, Any], Any]:
        session, settings = self.server.session, self.server.settings
        in_grace = (
            row.revoked_at is None
            and row.used_at is not None
            and row.child_cipher is not None
            and utcnow() - row.used_at <= timedelta(seconds=GRACE_SECONDS)
        )
        if in_grace and row.child_cipher:
            # A concurrent refresh: return the same child with a fresh access token.
            child = decrypt_str(row.child_cipher, master_key=settings.secret_key, context=_CHILD_CONTEXT)
            token = self.generate_token(user=self.request.user, scope=row.scope, include_refresh_token=False)
            self.save_token(token)
            token["refresh_token"] = child
            return 200, token, self.TOKEN_RESPONSE_HEADER
        revoke_family(session=session, family=row.family)
        worklog.append(
            session=session,
            actor=f"client:{row.client_id}",
            action="token.refresh_reuse",
            object=f"refresh_family:{row.family}",
            details={"revoked": "family"},
        )
        session.commit()  # the family stays revoked although this response is an error
        raise InvalidGrantError("The refresh token was already used; its family has been revoked.")


def revoke_family(*, session: Any, family: str) -> None:
    """Revoke every refresh token of a rotation family, and every access token minted with one of them that
    may still be valid (RFC 6749 §4.1.2 on a replayed code, RFC 9700 §4.14.2 on reuse: "all tokens")."""
    now = utcnow()
    for claims in session.scalars(select(RefreshToken.claims).where(RefreshToken.family == family)):
        minted = (claims or {}).get(MINTED)
        if minted and minted.get("jti") and int(minted.get("exp", 0)) > now.timestamp():
            revoke_access_token(session=session, claims=minted)
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


class TokenView:
    """authlib's ``TokenMixin`` view of a refresh token row."""

    def __init__(self, row: RefreshToken, *, person: Person | None = None, login: SsoSession | None = None) -> None:
        self.row, self.person, self.login = row, person, login

    def check_client(self, client: Any) -> bool:
        return bool(self.row.client_id == client.client_id)

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return bool(self.row.expires_at <= utcnow())

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None
