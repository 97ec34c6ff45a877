"""亮证: short-lived signed presentation tokens (compact JWS, ES256) with only the fields the holder chose.

The token is self-contained so it can be checked offline against the published JWKS
(``GET /api/wallet/keys``); ``iat`` lets an offline verifier say how old it is.
"""

from __future__ import annotations

import io
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import qrcode
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from wallet.errors import InvalidLicenseData, InvalidPresentation
from wallet.licenses import keys, service
from wallet.licenses.models import License

TOKEN_TYPE = "onenumber-presentation+jwt"
DEFAULT_TTL = 300
MIN_TTL = 10
MAX_TTL = 3600
# The lifetimes the holder's pages offer (the hall's 亮证 form); the API takes any within MIN_TTL..MAX_TTL.
TTL_CHOICES = (60, 300, 900)
LEEWAY = 30
# Tokens whose signature this process has checked against the wallet's own keys, with their claims (a QR
# is often scanned more than once). Only the signature check is skipped for them: expiry and the
# license's status are evaluated on every verification. A wallet key never changes under its kid.
VERIFIED_CACHE_SIZE = 2048
_verified: dict[str, dict[str, Any]] = {}
_verified_lock = threading.Lock()


class UnknownKey(InvalidPresentation):
    """Signed under a kid that is not among the keys given (or not loaded in this process yet)."""


def wallet_issuer(settings: Settings) -> str:
    """``iss`` of everything the wallet signs."""
    return settings.issuer.rstrip("/") + "/wallet"


@dataclass(frozen=True)
class Presentation:
    """A presentation token and when it stops verifying."""

    token: str
    jti: str
    issued_at: datetime
    expires_at: datetime


# A date in a disclosed field (1949-12-31 or 19491231): a person's birth date is six of the eight digits the
# usual mask hides.
_DATE = re.compile(r"(1[89]|20)\d\d-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])")
NARROW_MASK_KEEP = 2


def shown_number(*, kind: str, masked: str, data: Mapping[str, Any], fields: Iterable[str]) -> str:
    """The holder's number as a presentation shows it (docs/SECURITY.md "Presentations and anonymity").

    The display mask keeps a resident ID's first four and last four characters. Shown beside a disclosed birth
    date (born_on, or any field holding a date), that leaves only two digits of the area code unknown — with
    the check character, about nine candidates, often one or two real districts: in effect the number. With a
    date among the disclosed fields, only the last two characters stay, which leaves the whole area code
    (about 3,200 county-level codes) and two sequence digits unknown: tens of thousands of candidates."""
    if kind != "person" or not any(_DATE.search(str(data.get(name, ""))) for name in fields):
        return masked
    return "*" * (len(masked) - NARROW_MASK_KEEP) + masked[-NARROW_MASK_KEEP:]


def present(
    *,
    session: Session,
    settings: Settings,
    lic: License,
    fields: list[str],
    ttl: int = DEFAULT_TTL,
    now: datetime | None = None,
) -> Presentation:
    """Sign a presentation of ``lic`` revealing only ``fields`` (names from the type's schema)."""
    unknown = [f for f in fields if f not in lic.data]
    if unknown:
        raise InvalidLicenseData(f"fields not on this license: {unknown}", field="fields", rule="enum")
    ttl = max(MIN_TTL, min(ttl, MAX_TTL))
    now = (now or utcnow()).replace(microsecond=0)
    kid, key = keys.active_key(session=session, settings=settings)
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "iss": wallet_issuer(settings),
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "license": lic.identifier,
        "license_type": {"code": lic.license_type.type_code, "name": lic.license_type.name},
        "issuer": {"name": lic.issuer.name, "code": lic.issuer.credit_code},
        "holder": {"name": service.masked_holder_name(lic), "number": shown_number(
            kind=lic.holder_kind, masked=lic.holder_number_masked, data=lic.data, fields=fields
        )},
        "valid_from": lic.valid_from.isoformat(),
        "valid_until": lic.valid_until.isoformat() if lic.valid_until else None,
        "status": service.effective_status(lic, now=now),
        "fields": {name: lic.data[name] for name in fields},
    }
    token = jwt.encode({"alg": "ES256", "kid": kid, "typ": TOKEN_TYPE}, claims, key)
    return Presentation(token=token, jti=jti, issued_at=now, expires_at=now + timedelta(seconds=ttl))


def check_signed(token: str, key_for: Any, *, typ: str = TOKEN_TYPE) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a compact JWS signature with the key ``key_for(kid)`` returns; (header, claims)."""
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidPresentation("not a presentation token") from exc
    if header.get("alg") != "ES256" or header.get("typ") != typ:
        raise InvalidPresentation("not a presentation token of this platform")
    key = key_for(str(header.get("kid", "")))
    if key is None:
        raise UnknownKey("signed by a key this platform does not know")
    try:
        decoded = jwt.decode(token, key, algorithms=["ES256"])
    except (JoseError, ValueError) as exc:
        raise InvalidPresentation("the signature does not verify: the token was forged or altered") from exc
    return dict(decoded.header), dict(decoded.claims)


def check_times(claims: dict[str, Any], *, now: datetime) -> int:
    """Raise when expired (``presentation_expired``); return the token's age in seconds."""
    stamp = now.timestamp()
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int):
        raise InvalidPresentation("the token carries no issue or expiry time")
    if iat > stamp + LEEWAY:
        raise InvalidPresentation(
            "the token claims to be issued in the future", code="presentation_not_yet_valid"
        )
    if exp < stamp - LEEWAY:
        age = int(stamp - iat)
        raise InvalidPresentation(
            f"the presentation expired; it was shown {age} seconds ago — ask the holder "
            "to show the license again",
            code="presentation_expired",
        )
    return max(0, int(stamp - iat))


def _decode_own(
    token: str, key_for: Callable[[str], ECKey | None], now: datetime | None
) -> tuple[dict[str, Any], int]:
    token = token.strip()
    claims = _verified.get(token)
    if claims is None:
        _, claims = check_signed(token, key_for)
        with _verified_lock:
            while len(_verified) >= VERIFIED_CACHE_SIZE:
                del _verified[next(iter(_verified))]  # the oldest
            _verified[token] = claims
    return claims, check_times(claims, now=now or utcnow())


def decode(*, session: Session, token: str, now: datetime | None = None) -> tuple[dict[str, Any], int]:
    """Verify a presentation token against the wallet's keys; (claims — read-only, age in seconds)."""
    return _decode_own(token, lambda kid: keys.public_key(session=session, kid=kid), now)


def decode_with_loaded_keys(*, token: str, now: datetime | None = None) -> tuple[dict[str, Any], int]:
    """:func:`decode` without the database, for the event loop: :class:`UnknownKey` when the token's key is
    not loaded in this process yet (then :func:`decode` it in a worker thread)."""
    return _decode_own(token, keys.loaded_public_key, now)


def verify_offline(token: str, jwks: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Check a presentation token with a published JWKS and no network; the claims plus its age."""
    try:
        keyset = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidPresentation(f"the JWKS holds no usable key ({exc})") from exc

    def key_for(kid: str) -> ECKey | None:
        for key in keyset.keys:
            if key.kid == kid and isinstance(key, ECKey):
                return key
        return None

    _, claims = check_signed(token.strip(), key_for)
    now = now or datetime.now(UTC)
    age = check_times(claims, now=now)
    return {**claims, "age_seconds": age, "checked_at": now.isoformat(timespec="seconds"), "offline": True}


def verify_link(settings: Settings, token: str) -> str:
    """The URL a phone camera opens for this token (the public verify page)."""
    return f"{settings.issuer.rstrip('/')}/verify?t={token}"


def qr_png(text: str) -> bytes:
    """A QR code PNG of ``text``."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, box_size=6, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image().save(buf)
    return buf.getvalue()


def offered_ttl(ttl: int) -> int:
    """The lifetime a holder page asked for when it is one of :data:`TTL_CHOICES`, else the default."""
    return ttl if ttl in TTL_CHOICES else DEFAULT_TTL
