"""Service items: saved by administrators, vague requirements refused, guides as JSON, page and QR."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.runtime import runtime_of
from core.worklog.models import WorkLogEntry
from wallet.catalog import service as catalog_service
from wallet.services.models import ServiceItem, ServiceRequirement
from wallet.services.router import router as services_router

DEPT = "11110000000137015K"
ADMIN = {"Authorization": "Bearer admin"}
CITIZEN = {"Authorization": "Bearer citizen"}


@pytest.fixture
def api(app: FastAPI, session: Session) -> TestClient:
    app.include_router(services_router)
    catalog_service.create_department(session=session, credit_code=DEPT, name="示例市行政审批局")
    session.commit()
    claims = {
        "admin": {"sub": "a", "aud": "onenumber", "party_type": "person", "name": "王五", "hid": "h1", "roles": ["admin"]},
        "citizen": {"sub": "c", "aud": "onenumber", "party_type": "person", "name": "李四", "hid": "h2", "roles": []},
    }
    runtime_of(app).token_verifier = lambda token: claims[token]
    return TestClient(app)


ITEM: dict[str, Any] = {
    "code": "XZSP-GG-0009",
    "name": "门头招牌设置审批",
    "name_en": "Shop sign approval",
    "category": "business",
    "departments": [DEPT],
    "legal_basis": ["《城市市容和环境卫生管理条例》第十一条"],
    "conditions": ["已取得营业执照"],
    "time_limit_days": 3,
    "channels": ["online", "counter"],
    "address": "政务服务中心二楼",
    "hours": "9:00–17:00",
    "contact": "12345",
    "requirements": [
        {
            "key": "design",
            "kind": "document",
            "name": "招牌设计效果图",
            "doc_type": "sign.design",
            "reuse": "never",
            "accepted_types": ["application/pdf", "image/png"],
            "max_bytes": 1048576,
        },
        {
            "key": "form",
            "kind": "form",
            "name": "招牌设置申请表",
            "fields": [
                {"name": "text", "label": "招牌文字"},
                {"name": "width", "label": "宽度（米）", "type": "number"},
            ],
        },
        {
            "key": "safety",
            "kind": "commitment",
            "name": "招牌安全承诺",
            "commitment_text": "招牌牢固安全。",
            "liability": "承诺不实的，责令拆除。",
            "replaces_proof": "结构安全检测报告",
            "post_check": "30 日内抽查",
        },
    ],
}


def _count(session: Session, model: Any) -> int:
    session.expire_all()
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_admin_creates_item_and_guide_is_published(api: TestClient, session: Session) -> None:
    r = api.post("/api/services", json=ITEM, headers=ADMIN)
    assert r.status_code == 201, r.text
    guide = api.get("/api/services/XZSP-GG-0009").json()
    assert guide["departments"] == [{"credit_code": DEPT, "name": "示例市行政审批局"}]
    assert [q["key"] for q in guide["requirements"]] == ["design", "form", "safety"]
    assert guide["post_check"][0]["replaces_proof"] == "结构安全检测报告"
    assert guide["qr_url"] == "http://testserver/services/XZSP-GG-0009/qr.png"
    page = api.get("/services/XZSP-GG-0009")
    assert page.status_code == 200 and "门头招牌设置审批" in page.text and 'lang="zh-CN"' in page.text
    english = api.get("/services/XZSP-GG-0009", params={"lang": "en"})
    assert "Shop sign approval" in english.text and "Materials" in english.text
    qr = api.get("/services/XZSP-GG-0009/qr.png")
    assert qr.headers["content-type"] == "image/png" and qr.content.startswith(b"\x89PNG")
    assert [i["code"] for i in api.get("/api/services").json()] == ["XZSP-GG-0009"]


@pytest.mark.parametrize(
    "name", ["其他材料", "相关证明材料", "申请人身份证明等", "Other documents", "photos etc."]
)
def test_vague_requirement_is_refused(api: TestClient, session: Session, name: str) -> None:
    body = copy.deepcopy(ITEM)
    body["requirements"].append(
        {
            "key": "extra",
            "kind": "document",
            "name": name,
            "doc_type": "x.y",
            "reuse": "never",
            "accepted_types": ["application/pdf"],
        }
    )
    before = (
        _count(session, ServiceItem),
        _count(session, ServiceRequirement),
        _count(session, WorkLogEntry),
    )
    r = api.post("/api/services", json=body, headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["error"] == "vague_requirement"
    assert r.json()["field"] == "requirements[3].name"
    assert (
        _count(session, ServiceItem),
        _count(session, ServiceRequirement),
        _count(session, WorkLogEntry),
    ) == before


def test_only_admins_write_and_unknown_item(api: TestClient, session: Session) -> None:
    r = api.post("/api/services", json=ITEM, headers=CITIZEN)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert _count(session, ServiceItem) == 0
    missing = api.get("/api/services/NOPE-0001")
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_service_item"
    assert api.get("/services/NOPE-0001/qr.png").status_code == 404


def test_guide_page_is_a_channel_page(api: TestClient, session: Session) -> None:
    """The page renders with the channels' page kit: their CSP (no inline style), the old ``?lang=zh``
    still reads as zh-CN, the switch link keeps the path, a missing item is a human page."""
    assert api.post("/api/services", json=ITEM, headers=ADMIN).status_code == 201
    page = api.get("/services/XZSP-GG-0009", params={"lang": "zh"})
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "申请材料" in page.text
    assert "style-src 'self';" in page.headers["content-security-policy"] and "<style" not in page.text
    assert 'href="/services/XZSP-GG-0009?lang=en"' in page.text and "告知承诺事后核查" in page.text
    assert api.get("/web/static/guide.css").status_code == 200
    english = api.get("/services/XZSP-GG-0009", params={"lang": "en"})
    assert 'lang="en"' in english.text and 'href="/services/XZSP-GG-0009?lang=zh-CN"' in english.text
    assert "e-license" not in english.text and "upload once, reused" in english.text
    missing = api.get("/services/NOPE-0001")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


def test_update_keeps_code_and_marks_removed_requirements(api: TestClient, session: Session) -> None:
    assert api.post("/api/services", json=ITEM, headers=ADMIN).status_code == 201
    body = copy.deepcopy(ITEM)
    body["requirements"] = body["requirements"][1:]
    body["time_limit_days"] = 2
    r = api.put("/api/services/XZSP-GG-0009", json=body, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["time_limit_days"] == 2
    assert [q["key"] for q in r.json()["requirements"]] == ["form", "safety"]
    renamed = api.put("/api/services/XZSP-GG-0009", json={**body, "code": "XZSP-GG-0010"}, headers=ADMIN)
    assert renamed.status_code == 422 and renamed.json()["field"] == "code"


def test_requirement_rules(api: TestClient, session: Session) -> None:
    cases = [
        (
            {
                "key": "lic",
                "kind": "license_type",
                "name": "营业执照",
                "license_type": "11110000000137015K999",
            },
            "unknown_license_type",
            "requirements[3].license_type",
        ),
        (
            {
                "key": "doc",
                "kind": "document",
                "name": "身份证复印件",
                "doc_type": "id.copy",
                "reuse": "always",
                "accepted_types": ["application/zip"],
            },
            "invalid_service_item",
            "requirements[3].accepted_types",
        ),
        (
            {
                "key": "c",
                "kind": "commitment",
                "name": "无犯罪记录承诺",
                "commitment_text": "本人无犯罪记录。",
            },
            "invalid_service_item",
            "requirements[3].commitment_text",
        ),
    ]
    for extra, code, field in cases:
        body = copy.deepcopy(ITEM)
        body["requirements"].append(extra)
        r = api.post("/api/services", json=body, headers=ADMIN)
        assert (r.status_code, r.json()["error"], r.json()["field"]) == (422, code, field)
    assert _count(session, ServiceItem) == 0
