"""Fixtures of the applications scenarios: the demo departments, license types and licenses (issued through
the license service), the demo items, a frozen clock, and tokens verified by a stand-in token verifier."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.crypto import holder_index
from core.runtime import runtime_of
from core.settings import Settings, get_settings
from core.worklog.models import WorkLogEntry
from storage.deps import BLOB_STORE
from wallet.applications import seed as demo
from wallet.catalog import service as catalog_service
from wallet.licenses import service as license_service
from wallet.services import calendar
from wallet.services import service as items_service

ZHANG = ("11010519491231002X", "张三")
LI = ("110102199101010078", "李四")
WANG = ("440882198503293017", "王五")
ORG = ("91110000600037341L", "示例科技有限公司")
# Monday 2 March 2026, 10:00 in China.
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

TYPES = {
    "business_license": (
        demo.APPROVAL_BUREAU,
        "001",
        "营业执照",
        "organization",
        "always",
        None,
        {"name": "名称", "legal_representative": "法定代表人", "address": "住所"},
    ),
    "food_permit": (
        demo.MARKET_REGULATION,
        "002",
        "食品经营许可证",
        "organization",
        "while_valid",
        {"years": 5},
        {"operator": "经营者名称", "premises": "经营场所", "scope": "经营项目"},
    ),
    "elderly_card": (
        demo.CIVIL_AFFAIRS,
        "003",
        "老年人优待证",
        "person",
        "while_valid",
        {"years": 5},
        {"name": "姓名"},
    ),
    "marriage_certificate": (
        demo.CIVIL_AFFAIRS,
        "004",
        "结婚证",
        "person",
        "selectable",
        None,
        {"spouse": "配偶姓名", "registered_on": "登记日期"},
    ),
}
DEPARTMENTS = (
    (demo.APPROVAL_BUREAU, "示例市行政审批局"),
    (demo.MARKET_REGULATION, "示例市市场监督管理局"),
    (demo.CIVIL_AFFAIRS, "示例市民政局"),
    (demo.HEALTH, "示例市卫生健康委员会"),
)


@pytest.fixture(autouse=True)
def signing_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """signing reads ``get_settings()``: point it at this test's master key, issuer and database."""
    monkeypatch.setenv("ONENUMBER_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("ONENUMBER_ISSUER", settings.issuer)
    monkeypatch.setenv("ONENUMBER_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


@dataclass
class Clock:
    """A clock the app reads through ``runtime_of(app).clock``; tests move it."""

    now: datetime = MONDAY

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    """Handles on the scenario data."""

    settings: Settings
    session: Session
    blob_store: Any
    client: TestClient
    clock: Clock
    types: dict[str, str]
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)

    def hid(self, number: str, kind: str = "person") -> str:
        """Holder index of a person's (or ``kind``'s) number under the test master key."""
        return holder_index(kind, number, master_key=self.settings.secret_key)

    def token(
        self,
        number: str,
        name: str,
        *,
        roles: tuple[str, ...] = (),
        act_for: str | None = None,
        act_role: str = "legal_representative",
        scopes: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """Authorization header of a person's access token (claims per docs/CONTRACTS.md)."""
        claims: dict[str, Any] = {
            "iss": self.settings.issuer,
            "sub": f"sub-{number[-6:]}",
            "aud": "onenumber",
            "client_id": "hall",
            "scope": "openid profile id_number wallet:read wallet:share wallet:apply",
            "client_name": "网上办事大厅",
            "first_party": True,
            "party_type": "person",
            "name": name,
            "hid": self.hid(number),
            "acr": "2",
            "roles": list(roles),
        }
        if act_for:
            claims["act_for"] = {
                "credit_code": act_for,
                "name": ORG[1],
                "role": act_role,
                "scopes": list(scopes),
                "hid": self.hid(act_for, "organization"),
            }
        tok = secrets.token_urlsafe(16)
        self.tokens[tok] = claims
        return {"Authorization": f"Bearer {tok}"}

    def issue(self, role: str, number: str, name: str, data: dict[str, Any], valid_from: date) -> str:
        """Issue a license through the license service; return its identifier."""
        done = license_service.issue(
            session=self.session,
            settings=self.settings,
            blob_store=self.blob_store,
            caller=None,
            type_code=self.types[role],
            holder_number=number,
            holder_name=name,
            data=data,
            valid_from=valid_from,
            now=self.clock.now,
        )
        return done.license.identifier

    def count(self, model: Any) -> int:
        """Rows of a table (for 'nothing changed' assertions)."""
        self.session.expire_all()
        return int(self.session.execute(select(func.count()).select_from(model)).scalar_one())

    def worklog_size(self) -> int:
        """Entries in the work log."""
        return self.count(WorkLogEntry)


def _schema(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {k: {"type": "string", "title": v} for k, v in labels.items()},
        "required": [next(iter(labels))],
        "additionalProperties": False,
    }


@pytest.fixture
def world(app: FastAPI, settings: Settings, session: Session) -> Iterator[World]:
    """Departments, license types, the demo items and calendar, an app with the applications routers."""
    from wallet.applications.router import router as applications_router
    from wallet.services.router import router as services_router

    paths = {getattr(r, "path", "") for r in app.routes}
    if "/api/applications" not in paths:
        app.include_router(services_router)
        app.include_router(applications_router)
    clock = Clock()
    runtime_of(app).clock = clock
    for code, name in DEPARTMENTS:
        catalog_service.create_department(session=session, credit_code=code, name=name)
    types = {}
    for role, (issuer, suffix, name, kind, reuse, validity, labels) in TYPES.items():
        row = catalog_service.create_type(
            session=session,
            type_code=f"{issuer}{suffix}",
            name=name,
            issuer_code=issuer,
            holder_kind=kind,
            field_schema=_schema(labels),
            reuse_class=reuse,
            validity=validity,
        )
        types[role] = row.type_code
    calendar.seed_2026(session=session)
    for _, build, _ in demo.DEMO_ITEMS:
        items_service.create_item(session=session, spec=build(types))
    session.commit()
    with TestClient(app) as client:
        w = World(
            settings=settings,
            session=session,
            blob_store=runtime_of(app).get(BLOB_STORE),
            client=client,
            clock=clock,
            types=types,
        )

        def verify(token: str) -> dict[str, Any]:
            from idp.errors import IdpError

            if token not in w.tokens:
                raise IdpError("unknown token")
            return w.tokens[token]

        runtime_of(app).token_verifier = verify
        yield w
