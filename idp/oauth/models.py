"""Tables of clients, SSO sessions, codes, tokens, device codes and consents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, UTCDateTime


class Client(Base):
    """An OAuth client: web (confidential), mobile (public), kiosk (device) or department system."""

    __tablename__ = "idp_client"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500), nullable=True)
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(8), default="ES256")
    department_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Where a kiosk stands (shown on the device confirmation page, RFC 8628 §5.4); None for other clients.
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # OIDC Core §8 (idp/oauth/subjects.py): ``public`` (the platform's own channels) or ``pairwise`` (third
    # parties), and for pairwise the sector its subs are computed for (fixed at registration, §8.1).
    subject_type: Mapped[str] = mapped_column(String(8), default="public", server_default="public")
    sector_identifier_uri: Mapped[str | None] = mapped_column(String(500), nullable=True)
    sector_identifier: Mapped[str | None] = mapped_column(String(255), nullable=True)


class SsoSession(Base):
    """A browser login session at the idp; the cookie holds ``sid.secret``, the table a hash of it."""

    __tablename__ = "idp_sso_session"

    sid: Mapped[str] = mapped_column(String(43), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("idp_person.id"), index=True)
    acr: Mapped[str] = mapped_column(String(16))
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime())
    act_for: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SessionClient(Base):
    """A client that received tokens within an SSO session (targets of back-channel logout)."""

    __tablename__ = "idp_session_client"
    __table_args__ = (UniqueConstraint("sid", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(ForeignKey("idp_sso_session.sid"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("idp_client.client_id"))


class AuthorizationCode(Base):
    """A one-time authorization code (stored hashed), bound to client, redirect URI and PKCE challenge."""

    __tablename__ = "idp_authorization_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("idp_client.client_id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("idp_person.id"))
    sid: Mapped[str] = mapped_column(String(43))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str | None] = mapped_column(String(300), nullable=True)
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_challenge_method: Mapped[str | None] = mapped_column(String(8), nullable=True)
    acr: Mapped[str] = mapped_column(String(16))
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime())
    act_for: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # What the exchange minted (access token jti/exp, refresh family): revoked if the code is replayed.
    minted: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RefreshToken(Base):
    """A refresh token (stored hashed) in a rotation family; reuse of a used one revokes the family."""

    __tablename__ = "idp_refresh_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family: Mapped[str] = mapped_column(String(43), index=True)
    parent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("idp_client.client_id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("idp_person.id"), nullable=True)
    sid: Mapped[str | None] = mapped_column(String(43), nullable=True, index=True)
    scope: Mapped[str] = mapped_column(String(500))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # the purge's scan (idp/purge.py)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    child_cipher: Mapped[str | None] = mapped_column(Text, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AccessToken(Base):
    """Revocation list of JWT access tokens by ``jti`` (kept until the token would have expired)."""

    __tablename__ = "idp_access_token"

    jti: Mapped[str] = mapped_column(String(43), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100))
    sub: Mapped[str] = mapped_column(String(100))
    # Indexed: each process reloads the jtis still ahead of their expiry every second (idp/revocations.py).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeviceCode(Base):
    """RFC 8628 device authorization: device code (hashed), user code, approval and polling state."""

    __tablename__ = "idp_device_code"

    device_code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("idp_client.client_id"))
    scope: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("idp_person.id"), nullable=True)
    sid: Mapped[str | None] = mapped_column(String(43), nullable=True)
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    interval: Mapped[int] = mapped_column(Integer, default=5)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Wrong user codes entered while this code was pending (RFC 8628 §5.1); at the limit the code is dead.
    wrong_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DeviceThrottle(Base):
    """Wrong user codes entered from one address (RFC 8628 §5.1): past a few, the page makes one wait."""

    __tablename__ = "idp_device_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Consent(Base):
    """Scopes a person granted to a client."""

    __tablename__ = "idp_consent"
    __table_args__ = (UniqueConstraint("person_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("idp_person.id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("idp_client.client_id"))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PairwiseSubject(Base):
    """The pairwise ``sub`` of a person in a sector (OIDC Core §8.1), kept once computed: relying parties hold
    it for ever, so a master-key rotation must not change it (idp/oauth/subjects.py)."""

    __tablename__ = "idp_pairwise_subject"
    __table_args__ = (UniqueConstraint("sector", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sector: Mapped[str] = mapped_column(String(255))
    person_id: Mapped[int] = mapped_column(ForeignKey("idp_person.id"), index=True)
    sub: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
