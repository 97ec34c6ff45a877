"""Demo service items, the 2026 calendar and two service centres (called after the license seed)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from wallet.applications import appointments
from wallet.catalog import service as catalog_service
from wallet.services import calendar
from wallet.services import service as items_service
from wallet.services.schemas import ServiceItemIn

APPROVAL_BUREAU = "11110000000137015K"  # 示例市行政审批局
MARKET_REGULATION = "11110000000137023E"  # 示例市市场监督管理局
CIVIL_AFFAIRS = "111100000001370319"  # 示例市民政局
HEALTH = "11110000000245016J"  # 示例市卫生健康委员会

RESTAURANT = "SCJG-GG-0001"
FOOD_PERMIT = "SCJG-XK-0001"
ELDERLY_CARD = "MZ-GG-0001"
BIRTH_REGISTRATION = "WSJK-GG-0001"

# Which seeded license type plays which part: (issuer, words its name contains).
ROLES = {
    "business_license": (APPROVAL_BUREAU, "营业执照"),
    "food_permit": (MARKET_REGULATION, "食品经营许可"),
    "elderly_card": (CIVIL_AFFAIRS, "老年人优待证"),
    "marriage_certificate": (CIVIL_AFFAIRS, "结婚证"),
}
HALL = {
    "address": "示例市政务服务中心（示例大道 1 号）一楼综合受理窗口",
    "hours": "周一至周五 9:00–12:00，13:30–17:00（法定节假日除外）",
    "contact": "12345",
}
PDF_OR_IMAGE = ["application/pdf", "image/jpeg", "image/png"]


def find_license_types(*, session: Session) -> dict[str, str]:
    """Type codes of the seeded license types each demo item uses, found by issuer and name."""
    found: dict[str, str] = {}
    for role, (issuer, words) in ROLES.items():
        for t in catalog_service.list_types(session=session, issuer_code=issuer):
            if words in t.name:
                found[role] = t.type_code
                break
    return found


def restaurant(types: dict[str, str]) -> ServiceItemIn:
    """开办餐饮店: business license from the wallet, a still-valid food permit reused, the form only."""
    return ServiceItemIn.model_validate(
        {
            "code": RESTAURANT,
            "name": "餐饮店开业登记（一件事）",
            "name_en": "Opening a restaurant",
            "category": "business",
            "departments": [MARKET_REGULATION, APPROVAL_BUREAU],
            "legal_basis": ["《中华人民共和国食品安全法》第三十五条", "《食品经营许可和备案管理办法》"],
            "conditions": ["已取得营业执照", "持有有效期内的食品经营许可证"],
            "time_limit_days": 5,
            "channels": ["online", "counter"],
            **HALL,
            "requirements": [
                {
                    "key": "business_license",
                    "kind": "license_type",
                    "name": "营业执照",
                    "name_en": "Business license",
                    "license_type": types["business_license"],
                },
                {
                    "key": "food_permit",
                    "kind": "license_type",
                    "name": "食品经营许可证",
                    "name_en": "Food business permit",
                    "license_type": types["food_permit"],
                },
                {
                    "key": "opening_form",
                    "kind": "form",
                    "name": "餐饮店开业申请表",
                    "name_en": "Opening application form",
                    "fields": [
                        {
                            "name": "shop_name",
                            "label": "店铺名称",
                            "label_en": "Shop name",
                            "prefill": "applicant.name",
                        },
                        {"name": "address", "label": "经营场所", "label_en": "Premises"},
                        {"name": "seats", "label": "座位数", "label_en": "Seats", "type": "integer"},
                        {
                            "name": "opening_date",
                            "label": "开业日期",
                            "label_en": "Opening date",
                            "type": "date",
                        },
                    ],
                },
            ],
        }
    )


def food_permit(types: dict[str, str]) -> ServiceItemIn:
    """食品经营许可（新办）: issues the food business permit into the organisation's wallet."""
    return ServiceItemIn.model_validate(
        {
            "code": FOOD_PERMIT,
            "name": "食品经营许可（新办）",
            "name_en": "Food business permit (new)",
            "category": "business",
            "departments": [MARKET_REGULATION],
            "legal_basis": ["《中华人民共和国食品安全法》第三十五条", "《食品经营许可和备案管理办法》第十条"],
            "conditions": ["具有与经营的食品品种、数量相适应的经营场所"],
            "time_limit_days": 10,
            "channels": ["online", "counter"],
            **HALL,
            "issues_license_type": types["food_permit"],
            "requirements": [
                {
                    "key": "business_license",
                    "kind": "license_type",
                    "name": "营业执照",
                    "name_en": "Business license",
                    "license_type": types["business_license"],
                },
                {
                    "key": "floor_plan",
                    "kind": "document",
                    "name": "经营场所平面布局图",
                    "name_en": "Floor plan of the premises",
                    "doc_type": "premises.floor_plan",
                    "reuse": "while_valid",
                    "valid_days": 365,
                    "accepted_types": PDF_OR_IMAGE,
                    "max_bytes": 5 * 1024 * 1024,
                },
                {
                    "key": "food_safety",
                    "kind": "commitment",
                    "name": "食品安全管理制度承诺",
                    "name_en": "Food safety management commitment",
                    "replaces_proof": "食品安全管理制度文本",
                    "commitment_text": (
                        "本单位已建立并落实从业人员健康管理、进货查验记录、食品安全自查制度。"
                    ),
                    "liability": "承诺不实的，撤销许可，五年内不得再次申请，并记入信用记录。",
                    "post_check": "许可后 30 日内现场核查管理制度落实情况",
                },
                {
                    "key": "permit_form",
                    "kind": "form",
                    "name": "食品经营许可申请书",
                    "name_en": "Permit application form",
                    "fields": [
                        {
                            "name": "operator",
                            "label": "经营者名称",
                            "label_en": "Operator",
                            "prefill": "applicant.name",
                        },
                        {"name": "premises", "label": "经营场所", "label_en": "Premises"},
                        {"name": "scope", "label": "经营项目", "label_en": "Scope"},
                    ],
                },
            ],
        }
    )


def elderly_card(types: dict[str, str]) -> ServiceItemIn:
    """老年人优待证办理: same day, issues the elderly preferential card."""
    return ServiceItemIn.model_validate(
        {
            "code": ELDERLY_CARD,
            "name": "老年人优待证办理",
            "name_en": "Elderly preferential card",
            "category": "personal",
            "departments": [CIVIL_AFFAIRS],
            "legal_basis": ["《中华人民共和国老年人权益保障法》第五十七条"],
            "conditions": ["年满 60 周岁"],
            "time_limit_days": 0,
            "same_day": True,
            "channels": ["online", "counter"],
            **HALL,
            "issues_license_type": types["elderly_card"],
            "requirements": [
                {
                    "key": "photo",
                    "kind": "document",
                    "name": "近期一寸免冠彩色照片",
                    "name_en": "Recent passport photo",
                    "doc_type": "person.photo",
                    "reuse": "while_valid",
                    "valid_days": 180,
                    "accepted_types": ["image/jpeg", "image/png"],
                    "max_bytes": 2 * 1024 * 1024,
                },
                {
                    "key": "card_form",
                    "kind": "form",
                    "name": "老年人优待证申请表",
                    "name_en": "Card application form",
                    "fields": [
                        {"name": "name", "label": "姓名", "label_en": "Name", "prefill": "applicant.name"},
                        {"name": "phone", "label": "联系电话", "label_en": "Phone", "required": False},
                    ],
                },
            ],
        }
    )


def birth_registration(types: dict[str, str]) -> ServiceItemIn:
    """生育登记: marriage certificate picked from the wallet, a commitment instead of a no-children proof."""
    return ServiceItemIn.model_validate(
        {
            "code": BIRTH_REGISTRATION,
            "name": "生育登记",
            "name_en": "Birth registration",
            "category": "personal",
            "departments": [HEALTH],
            "legal_basis": ["《中华人民共和国人口与计划生育法》第二十条"],
            "conditions": ["夫妻双方或一方户籍在本市"],
            "time_limit_days": 3,
            "channels": ["online", "counter"],
            **HALL,
            "requirements": [
                {
                    "key": "marriage",
                    "kind": "license_type",
                    "name": "结婚证",
                    "name_en": "Marriage certificate",
                    "license_type": types["marriage_certificate"],
                },
                {
                    "key": "children",
                    "kind": "commitment",
                    "name": "现有子女情况承诺",
                    "name_en": "Commitment on existing children",
                    "replaces_proof": "户籍地出具的现有子女情况证明",
                    "commitment_text": "本人承诺所填现有子女情况真实、完整。",
                    "liability": "承诺不实的，撤销登记，并按规定记入个人信用记录。",
                    "post_check": "办结后 20 个工作日内通过户籍信息共享核查",
                },
                {
                    "key": "birth_form",
                    "kind": "form",
                    "name": "生育登记表",
                    "name_en": "Registration form",
                    "fields": [
                        {
                            "name": "applicant",
                            "label": "登记人",
                            "label_en": "Registrant",
                            "prefill": "applicant.name",
                        },
                        {
                            "name": "expected_date",
                            "label": "预产期",
                            "label_en": "Expected date",
                            "type": "date",
                            "required": False,
                        },
                    ],
                },
            ],
        }
    )


DEMO_ITEMS = (
    (RESTAURANT, restaurant, ("business_license", "food_permit")),
    (FOOD_PERMIT, food_permit, ("business_license", "food_permit")),
    (ELDERLY_CARD, elderly_card, ("elderly_card",)),
    (BIRTH_REGISTRATION, birth_registration, ("marriage_certificate",)),
)
CENTRES = (
    ("HALL-CITY", "示例市政务服务中心", "示例大道 1 号"),
    ("HALL-EAST", "示例市东城区政务服务中心", "东城路 18 号"),
)


def _slots(now: datetime, days: int = 10) -> list[datetime]:
    start = calendar.local_date(now)
    out = []
    for d in range(1, days + 1):
        day = start + timedelta(days=d)
        for hour, minute in ((9, 0), (9, 30), (10, 0), (14, 0), (14, 30)):
            out.append(datetime.combine(day, time(hour, minute), tzinfo=calendar.CHINA_TZ))
    return out


def seed(*, session: Session, settings: Settings, blob_store: Any) -> list[str]:
    """Create the demo items, the 2026 calendar and the service centres if missing; commits."""
    lines = []
    added = calendar.seed_2026(session=session)
    if added:
        lines.append(f"calendar: {added} holidays and adjusted working days of 2026")
    types = find_license_types(session=session)
    for code, build, needs in DEMO_ITEMS:
        if items_service.get_item(session=session, code=code) is not None:
            continue
        missing = [n for n in needs if n not in types]
        if missing:
            lines.append(f"service item {code} skipped: license types {missing} are not in the catalog")
            continue
        spec = build(types)
        if any(
            catalog_service.get_department(session=session, credit_code=d) is None for d in spec.departments
        ):
            lines.append(f"service item {code} skipped: its departments are not seeded")
            continue
        items_service.create_item(session=session, spec=spec)
        lines.append(f"service item {code} {spec.name}")
    for code, name, address in CENTRES:
        centre = appointments.get_centre(session=session, code=code)
        if centre is None:
            centre = appointments.create_centre(session=session, code=code, name=name, address=address)
            appointments.add_slots(session=session, centre=centre, starts=_slots(utcnow()), capacity=3)
            lines.append(f"service centre {code} {name} with appointment slots")
    session.commit()
    return lines
