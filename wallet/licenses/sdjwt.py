"""Export a license as an SD-JWT VC and verify one back.

draft-ietf-oauth-sd-jwt-vc (https://datatracker.ietf.org/doc/draft-ietf-oauth-sd-jwt-vc/) on top of
RFC 9901 SD-JWT (https://www.rfc-editor.org/rfc/rfc9901): an issuer-signed JWT whose ``_sd`` array holds
SHA-256 digests of disclosures ``[salt, name, value]``; the holder passes on only the disclosures it
chooses. Issuer key: the platform wallet key (``GET /api/wallet/keys``). ``status`` points at the public
status endpoint instead of a Token Status List (one license per URI, no list to publish).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.crypto import decrypt_str
from core.settings import Settings
from wallet.errors import InvalidLicenseData, InvalidPresentation
from wallet.licenses import keys, presentation, service, views
from wallet.licenses.models import License

TYP = "dc+sd-jwt"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _digest(disclosure: str) -> str:
    return _b64(hashlib.sha256(disclosure.encode("ascii")).digest())


def vct(settings: Settings, type_code: str) -> str:
    """Verifiable credential type URI of a license type (its catalog entry)."""
    return f"{settings.issuer.rstrip('/')}/api/wallet/license-types/{type_code}"


NUMBER_CLAIM = "holder_number"  # the disclosure carrying the clear ID or credit number


def export(
    *,
    session: Session,
    settings: Settings,
    lic: License,
    fields: list[str] | None = None,
    now: datetime | None = None,
    disclose_number: bool = True,
) -> str:
    """The license as ``<issuer-signed JWT>~<disclosure>~…~`` with the chosen (default all) disclosures;
    ``disclose_number=False`` keeps the clear holder number undisclosed whatever ``fields`` says."""
    now = (now or utcnow()).replace(microsecond=0)
    number = decrypt_str(
        lic.holder_number_cipher, master_key=settings.secret_key, context=service.HOLDER_NUMBER_CONTEXT
    )
    claims_sd: dict[str, Any] = {"holder_name": lic.holder_name, "holder_number": number, **lic.data}
    if fields is not None:
        unknown = [f for f in fields if f not in claims_sd]
        if unknown:
            raise InvalidLicenseData(f"fields not on this license: {unknown}", field="fields", rule="enum")
    disclosures, digests = [], []
    for name, value in claims_sd.items():
        disclosure = _b64(
            json.dumps([_b64(secrets.token_bytes(16)), name, value], ensure_ascii=False).encode()
        )
        digests.append(_digest(disclosure))
        if (fields is None or name in fields) and (disclose_number or name != NUMBER_CLAIM):
            disclosures.append(disclosure)
    payload: dict[str, Any] = {
        "iss": presentation.wallet_issuer(settings),
        "iat": int(now.timestamp()),
        "vct": vct(settings, lic.license_type.type_code),
        "license_id": lic.identifier,
        "license_name": lic.license_type.name,
        "issuing_department": {"name": lic.issuer.name, "credit_code": lic.issuer.credit_code},
        "valid_from": lic.valid_from.isoformat(),
        "status": {
            "onenumber_status": {"uri": f"{settings.issuer.rstrip('/')}/api/licenses/{lic.identifier}/status"}
        },
        "_sd_alg": "sha-256",
        "_sd": sorted(digests),  # sorted so the order does not reveal which claim is which
    }
    if lic.valid_until is not None:
        payload["exp"] = int(
            datetime(
                lic.valid_until.year,
                lic.valid_until.month,
                lic.valid_until.day,
                23,
                59,
                59,
                tzinfo=service.CHINA,
            ).timestamp()
        )
    kid, key = keys.active_key(session=session, settings=settings)
    issuer_jwt = jwt.encode({"alg": "ES256", "kid": kid, "typ": TYP}, payload, key)
    return "~".join([issuer_jwt, *disclosures]) + "~"


def verify(*, session: Session, credential: str, now: datetime | None = None) -> dict[str, Any]:
    """Check signature, disclosures and current status of an SD-JWT VC; the disclosed claims."""
    now = now or utcnow()
    parts = credential.strip().split("~")
    if len(parts) < 2 or parts[-1] != "":
        raise InvalidPresentation("an SD-JWT ends with '~' (key-binding JWTs are not supported here)")
    _, payload = presentation.check_signed(
        parts[0], lambda kid: keys.public_key(session=session, kid=kid), typ=TYP
    )
    digests = set(payload.get("_sd") or [])
    if payload.get("_sd_alg", "sha-256") != "sha-256":
        raise InvalidPresentation("unsupported _sd_alg")
    disclosed: dict[str, Any] = {}
    for disclosure in parts[1:-1]:
        if _digest(disclosure) not in digests:
            raise InvalidPresentation("a disclosure does not belong to this credential (altered or foreign)")
        try:
            salt, name, value = json.loads(_unb64(disclosure))
        except (ValueError, TypeError) as exc:
            raise InvalidPresentation("a disclosure is malformed") from exc
        if name in disclosed or name.startswith("_"):
            raise InvalidPresentation("a disclosure repeats or overrides a claim")
        disclosed[name] = value
    exp = payload.get("exp")
    expired = isinstance(exp, int) and exp < now.timestamp()
    lic = service.get_by_identifier(session=session, identifier=str(payload.get("license_id", "")))
    if lic is None:
        raise InvalidPresentation("the credential's license is not in the registry")
    state = "expired" if expired else service.effective_status(lic, now=now)
    if "holder_number" in disclosed and lic.holder_kind == "person":
        disclosed["holder_number"] = lic.holder_number_masked  # a verifier page never shows a clear ID number
    return {
        "valid": state == "valid",
        "status": state,
        "identifier": lic.identifier,
        "license_type": views.type_ref(lic).model_dump(),
        "issuer": views.issuer_ref(lic).model_dump(),
        "vct": payload.get("vct"),
        "issued_at": datetime.fromtimestamp(int(payload.get("iat", 0)), UTC).isoformat(),
        "disclosed": disclosed,
        "checked_at": now.isoformat(),
    }
