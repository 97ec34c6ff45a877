"""Demo data of `idp` for `make run` (idempotent): docs/CONTRACTS.md "Demo data"."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.crypto import client_secret
from core.settings import Settings
from idp.oauth import clients as client_service
from idp.oauth.clients import DEVICE_GRANT
from idp.parties import service as party_service
from idp.parties.models import Person
from idp.parties.passwords import hash_password

DEMO_DEPARTMENT = "11110000000137015K"
PERSONS = [
    ("张三", "11010519491231002X", "Zhangsan-2026", "13800000001", []),
    ("李四", "110102199101010078", "Lisi-2026", "13800000002", []),
    (
        "王五",
        "440882198503293017",
        "Wangwu-2026",
        "13800000003",
        [("counter", None), ("clerk", DEMO_DEPARTMENT), ("approver", DEMO_DEPARTMENT), ("admin", None)],
    ),
    ("孙七", "110108198805050012", "Sunqi-2026", "13800000004", []),
]
# Identity-proofing level of each demo person (idp/proofing): 张三 and 李四 real-name verified by the
# provider, 王五 checked in person at the counter, 孙七 self-registered (can do 实名认证 with the simulator,
# whose registry tools/proofing-registry.json holds the same records).
ASSURANCE = {
    "11010519491231002X": ("substantial", "provider:demo"),
    "110102199101010078": ("substantial", "provider:demo"),
    "440882198503293017": ("high", "counter"),
    "110108198805050012": ("low", None),
}
ORGANIZATION = ("示例科技有限公司", "91110000600037341L", "11010519491231002X")
VERIFIER_SECRET = "demo-verifier-secret"
# Scopes of the wallet and applications APIs (wallet/dependencies.py): the platform's own channels get
# them without a consent screen (trusted); a relying party only what it may ask for and the person allowed.
WALLET_SCOPES = ["wallet:read", "wallet:share", "wallet:apply"]


def hall_client_secret(settings: Settings) -> str:
    """The web hall's client secret, derived from the master key (no extra secret to distribute)."""
    return client_secret("hall", master_key=settings.secret_key)


def _person(
    session: Session, settings: Settings, name: str, number: str, password: str, phone: str
) -> Person:
    person = party_service.get_by_number(session=session, settings=settings, number=number)
    if person is None:
        person = party_service.create(
            session=session,
            settings=settings,
            number=number,
            name=name,
            phone=phone,
            password_hash=hash_password(password),
        )
    level, by = ASSURANCE.get(number, ("low", None))
    if level != "low" and person.assurance == "low":  # idempotent: only ever raised, never lowered
        party_service.raise_assurance(session=session, person=person, level=level, by=by)
    return person


def _clients(session: Session, settings: Settings) -> None:
    iss = settings.issuer
    specs: list[dict[str, Any]] = [
        dict(
            client_id="demo-rp",
            name="示例政务服务门户",
            kind="mobile",
            trusted=False,  # a third-party relying party: every scope it asks for is consented
            redirect_uris=["http://127.0.0.1:3000/cb"],
            post_logout_redirect_uris=["http://127.0.0.1:3000/"],
            scopes=["openid", "profile", "id_number", "offline_access", "wallet:read"],
        ),
        dict(
            client_id="demo-app",
            name="示例市民 App",
            kind="mobile",
            trusted=True,  # the platform's own mobile channel: the wallet scopes without a consent screen
            redirect_uris=["http://127.0.0.1:3000/app-cb"],
            post_logout_redirect_uris=["http://127.0.0.1:3000/"],
            scopes=["openid", "profile", "id_number", "offline_access", *WALLET_SCOPES],
        ),
        dict(
            client_id="demo-kiosk",
            name="政务大厅自助终端",
            kind="kiosk",
            trusted=True,
            grant_types=[DEVICE_GRANT],
            scopes=["openid", "profile", *WALLET_SCOPES],
        ),
        dict(
            client_id="demo-verifier",
            name="示例市行政审批局业务系统",
            kind="department",
            secret=VERIFIER_SECRET,
            department_code=DEMO_DEPARTMENT,
            scopes=["license:issue", "license:read", "license:verify"],
        ),
        dict(
            client_id="hall",
            name="网上办事大厅",
            kind="web",
            trusted=True,
            secret=hall_client_secret(settings),
            redirect_uris=[f"{iss}/hall/callback"],
            post_logout_redirect_uris=[f"{iss}/hall/", f"{iss}/"],
            scopes=["openid", "profile", "id_number", "offline_access", *WALLET_SCOPES],
        ),
    ]
    for spec in specs:
        row = client_service.get(session=session, client_id=str(spec["client_id"]))
        if row is None:
            client_service.create(session=session, settings=settings, **spec)
            continue
        # an instance seeded before the wallet scopes: add the scopes (never remove any) and the trust flag
        missing = [s for s in spec["scopes"] if s not in row.scopes]
        if missing:
            row.scopes = [*row.scopes, *missing]
        if "trusted" in spec and row.trusted != spec["trusted"]:
            row.trusted = bool(spec["trusted"])


def seed(*, session: Session, settings: Settings, blob_store: object) -> list[str]:
    """Create this package's demo data if missing; return lines worth printing."""
    people: dict[str, Person] = {}
    for name, number, password, phone, roles in PERSONS:
        person = _person(session, settings, name, number, password, phone)
        for role, dept in roles:
            party_service.grant_role(session=session, person=person, role=role, department_code=dept)
        people[number] = person
    org_name, credit_code, rep_number = ORGANIZATION
    if party_service.get_organization(session=session, credit_code=credit_code) is None:
        party_service.create_organization(
            session=session, credit_code=credit_code, name=org_name, legal_rep=people[rep_number]
        )
    _clients(session, settings)
    session.flush()
    lines = ["idp demo accounts (log in at /login):"]
    for name, number, password, _, roles in PERSONS:
        role_text = ", ".join(f"{r}:{d}" if d else r for r, d in roles) or "citizen"
        level = ASSURANCE.get(number, ("low", None))[0]
        lines.append(f"  {name}  {number}  password {password}  ({role_text}; assurance {level})")
    lines.append(f"  organisation {org_name} {credit_code}, legal representative 张三")
    lines.append(
        "idp demo clients: demo-rp (public, code+PKCE, http://127.0.0.1:3000/cb), demo-kiosk (device),"
    )
    lines.append(
        f"  demo-verifier / {VERIFIER_SECRET} (client credentials), hall (confidential, {settings.issuer}"
        "/hall/callback)"
    )
    return lines
