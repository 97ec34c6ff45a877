"""Who is calling: a frozen :class:`Caller` built from the access-token claims (see docs/CONTRACTS.md).

Wallet never reads idp tables; it trusts idp only through the runtime's ``token_verifier`` (core/runtime.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from core.runtime import runtime_of
from core.wire import WireError
from wallet.errors import Forbidden, NotAuthenticated

# Scopes of client-credentials tokens (department systems).
SCOPE_ISSUE = "license:issue"
SCOPE_READ = "license:read"
SCOPE_VERIFY = "license:verify"
# Scopes of a person's access token (least privilege, docs/CONTRACTS.md "Token scopes"): the operation
# of each /api/wallet, /api/applications, /api/appointments and /api/complaints route needs one of them
# (declared with :class:`ScopeRule`); a clear ID or credit number in an answer needs ``id_number`` too.
SCOPE_WALLET_READ = "wallet:read"
SCOPE_WALLET_SHARE = "wallet:share"
SCOPE_WALLET_APPLY = "wallet:apply"
SCOPE_ID_NUMBER = "id_number"
WALLET_SCOPES = (SCOPE_WALLET_READ, SCOPE_WALLET_SHARE, SCOPE_WALLET_APPLY)
# The audience of access tokens for this platform's API (= idp.tokens.ACCESS_TOKEN_AUDIENCE; a test
# checks they agree). An ID token or a token minted for another audience is refused.
API_AUDIENCE = "onenumber"
# Scopes an agent's delegation (act_for.scopes) needs for each wallet action; a legal
# representative may do all of them. "wallet" covers every wallet action, "wallet:share" both showing
# (present, export) and granting; the older narrower values stay accepted for what they always meant.
DELEGATION_READ = SCOPE_WALLET_READ
DELEGATION_SHARE = SCOPE_WALLET_SHARE
DELEGATION_PRESENT = "wallet:present"
DELEGATION_GRANT = "wallet:grant"
DELEGATION_APPLY = SCOPE_WALLET_APPLY  # applying, and changing an application (supplement, booking, rating)
DELEGATION_ALL = "wallet"
_COVERED_BY_SHARE = frozenset({DELEGATION_SHARE, DELEGATION_PRESENT, DELEGATION_GRANT})


@dataclass(frozen=True)
class ActFor:
    """The organisation a person acts for in this token (``act_for`` claim)."""

    credit_code: str
    name: str
    role: str
    scopes: frozenset[str]
    hid: str  # the organisation's holder index: holder_index("organization", credit_code), computed by idp

    def allows(self, action: str) -> bool:
        """True when this delegation covers ``action`` (one of the ``DELEGATION_*`` scopes)."""
        if self.role == "legal_representative":
            return True
        if action in _COVERED_BY_SHARE and DELEGATION_SHARE in self.scopes:
            return True
        return DELEGATION_ALL in self.scopes or action in self.scopes


@dataclass(frozen=True)
class Caller:
    """The authenticated party behind a request: a person (maybe acting for an organisation) or a client."""

    sub: str
    party_type: str
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()
    name: str | None = None
    hid: str | None = None  # a person's own holder index: holder_index("person", number) (``hid`` claim)
    roles: frozenset[str] = frozenset()
    act_for: ActFor | None = None
    department: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Caller:
        """Build a caller from verified access-token claims."""
        act = claims.get("act_for")
        act_for = None
        if isinstance(act, Mapping) and act.get("hid") and act.get("credit_code"):
            act_for = ActFor(
                credit_code=str(act["credit_code"]),
                name=str(act.get("name", "")),
                role=str(act.get("role", "agent")),
                scopes=frozenset(str(s) for s in act.get("scopes") or ()),
                hid=str(act["hid"]),
            )
        party_type = str(claims.get("party_type") or ("client" if claims.get("department") else "person"))
        return cls(
            sub=str(claims.get("sub", "")),
            party_type=party_type,
            client_id=claims.get("client_id"),
            scopes=frozenset(str(claims.get("scope") or "").split()),
            name=claims.get("name"),
            hid=claims.get("hid") if party_type == "person" else None,
            roles=frozenset(str(r) for r in claims.get("roles") or ()),
            act_for=act_for,
            department=claims.get("department") if party_type == "client" else None,
            claims=dict(claims),
        )

    @property
    def is_person(self) -> bool:
        """True for a person's token (not a department system)."""
        return self.party_type == "person"

    @property
    def actor(self) -> str:
        """Work-log actor string: ``person:<sub>`` or ``client:<client_id>``."""
        if self.is_person:
            return f"person:{self.sub}"
        return f"client:{self.client_id or self.sub}"

    @property
    def first_party(self) -> bool:
        """True when the token's client is one of the platform's own channels (hall, kiosk, mobile app):
        the ``first_party`` claim idp sets from the client's ``trusted`` flag."""
        return self.claims.get("first_party") is True

    @property
    def client_name(self) -> str:
        """Display name of the token's client (``client_name`` claim), else its id."""
        return str(self.claims.get("client_name") or self.client_id or "")

    @property
    def sees_numbers(self) -> bool:
        """True when answers may carry clear ID and credit numbers (a person's token needs ``id_number``)."""
        return not self.is_person or SCOPE_ID_NUMBER in self.scopes

    @property
    def is_admin(self) -> bool:
        """Platform administrator."""
        return self.is_person and "admin" in self.roles

    def staff_departments(self, *prefixes: str) -> frozenset[str]:
        """Credit codes of departments this person works for in the given roles (``clerk``, ``approver``)."""
        wanted = prefixes or ("clerk",)
        codes = set()
        for role in self.roles:
            kind, _, code = role.partition(":")
            if kind in wanted and code:
                codes.add(code)
        return frozenset(codes)

    def issuing_departments(self) -> frozenset[str]:
        """Departments on whose behalf this caller may issue and manage licenses."""
        if self.is_person:
            return self.staff_departments("clerk")
        if self.department and SCOPE_ISSUE in self.scopes:
            return frozenset({self.department})
        return frozenset()

    def reading_departments(self) -> frozenset[str]:
        """Departments on whose behalf this caller reads licenses (by grant or as issuer)."""
        if self.is_person:
            return self.staff_departments("clerk", "approver")
        if self.department and self.scopes & {SCOPE_ISSUE, SCOPE_READ, SCOPE_VERIFY}:
            return frozenset({self.department})
        return frozenset()

    def holder_indexes(self, action: str = DELEGATION_READ) -> frozenset[str]:
        """Holder indexes whose licenses this person may use for ``action``: their own and delegated ones."""
        if not self.is_person:
            return frozenset()
        hids = {self.hid} if self.hid else set()
        if self.act_for is not None and self.act_for.allows(action):
            hids.add(self.act_for.hid)
        return frozenset(hids)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def has_bearer(request: Request) -> bool:
    """True if the request carries a bearer token (whether valid or not: :func:`get_optional_caller` says)."""
    # the raw header list first: most public requests carry none, and parsing the headers costs more
    if not any(name == b"authorization" for name, _ in request.scope["headers"]):
        return False
    return _bearer(request) is not None


def get_optional_caller(request: Request) -> Caller | None:
    """The caller, or None for an anonymous request; a bad token is still an error."""
    token = _bearer(request)
    if token is None:
        return None
    verifier = runtime_of(request).token_verifier
    if verifier is None:
        raise NotAuthenticated("this server cannot verify access tokens (no token verifier configured)")
    try:
        claims = verifier(token)
    except (WireError, ValueError) as exc:  # idp's IdpError (invalid_token), known by its base: no idp import
        raise NotAuthenticated(f"access token rejected: {exc}") from exc
    if not _for_this_api(claims.get("aud")):
        # RFC 9068 §4: the resource server checks that it is the token's audience (an ID token, or a token
        # another relying party got for itself, is not a credential for this API).
        raise NotAuthenticated(f"access token rejected: its audience is not {API_AUDIENCE!r}")
    return Caller.from_claims(claims)


def _for_this_api(aud: Any) -> bool:
    if isinstance(aud, str):
        return aud == API_AUDIENCE
    return isinstance(aud, list) and API_AUDIENCE in aud


def get_caller(request: Request) -> Caller:
    """The authenticated caller; 401 without a valid bearer token."""
    caller = get_optional_caller(request)
    if caller is None:
        raise NotAuthenticated("a bearer access token is required")
    return caller


def get_admin(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    """The caller, who must hold the ``admin`` role."""
    if not caller.is_admin:
        raise Forbidden("the admin role is required")
    return caller


def get_person(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    """The caller, who must be a person (holder-side endpoints)."""
    if not caller.is_person:
        raise Forbidden("this endpoint is for license holders; department systems use /api/licenses")
    return caller


class InsufficientScope(Forbidden):
    """RFC 6750 §3.1: the token lacks the scope this operation needs (403 with ``WWW-Authenticate``)."""

    code = "insufficient_scope"

    def __init__(self, message: str, *, scope: str | None) -> None:
        super().__init__(message)
        challenge = 'Bearer realm="onenumber", error="insufficient_scope"'
        if scope:
            challenge += f', scope="{scope}"'
        self.scope = scope
        self.headers = {"WWW-Authenticate": challenge}


@dataclass(frozen=True)
class ScopeRule:
    """A route's scope rule, used as its caller dependency (tests read it back from the route table).

    For a person's token: ``scope`` must be granted (``wallet:read``, ``wallet:share``, ``wallet:apply``,
    and ``id_number`` where the whole answer is a clear number, e.g. the sealed PDF); ``first_party``
    additionally requires one of the platform's own channels (staff and admin actions). Department
    systems' tokens pass unchanged unless ``persons_only`` (their own checks follow in the route).
    """

    scope: str | None
    extra: tuple[str, ...] = ()
    first_party: bool = False
    persons_only: bool = False
    admin: bool = False

    def __call__(self, caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        if self.persons_only and not caller.is_person:
            raise Forbidden("this endpoint is for license holders; department systems use /api/licenses")
        if caller.is_person:
            for scope in (s for s in (self.scope, *self.extra) if s):
                if scope not in caller.scopes:
                    raise InsufficientScope(
                        f"this operation needs the scope {scope!r}, which the token does not carry",
                        scope=scope,
                    )
            if self.first_party and not caller.first_party:
                raise InsufficientScope(
                    "staff and administration actions are accepted only from the platform's own channels "
                    "(web hall, kiosk, mobile app), not with a token a relying party obtained",
                    scope=self.scope,
                )
        if self.admin and not caller.is_admin:
            raise Forbidden("the admin role is required")
        return caller


# Holder-side caller dependencies, one per operation (persons only).
WalletReader = Annotated[Caller, Depends(ScopeRule(SCOPE_WALLET_READ, persons_only=True))]
WalletNumberReader = Annotated[
    Caller, Depends(ScopeRule(SCOPE_WALLET_READ, extra=(SCOPE_ID_NUMBER,), persons_only=True))
]
WalletSharer = Annotated[Caller, Depends(ScopeRule(SCOPE_WALLET_SHARE, persons_only=True))]
# Applications, appointments, complaints (department systems keep their own checks in the services).
Applier = Annotated[Caller, Depends(ScopeRule(SCOPE_WALLET_APPLY))]
StaffCaller = Annotated[Caller, Depends(ScopeRule(SCOPE_WALLET_APPLY, first_party=True))]
AdminStaffCaller = Annotated[Caller, Depends(ScopeRule(None, first_party=True, admin=True))]

CurrentCaller = Annotated[Caller, Depends(get_caller)]
OptionalCaller = Annotated[Caller | None, Depends(get_optional_caller)]
AdminCaller = Annotated[Caller, Depends(get_admin)]
PersonCaller = Annotated[Caller, Depends(get_person)]
