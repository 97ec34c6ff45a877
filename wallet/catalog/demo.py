"""Demo catalog of the Hongta-style seed: four departments and five license types (see docs/CONTRACTS.md)."""

from __future__ import annotations

from typing import Any

APPROVAL = "11110000000137015K"  # 示例市行政审批局
MARKET = "11110000000137023E"  # 示例市市场监督管理局
CIVIL = "111100000001370319"  # 示例市民政局
HEALTH = "11110000000245016J"  # 示例市卫生健康委员会

DEPARTMENTS: list[dict[str, str]] = [
    {"credit_code": APPROVAL, "name": "示例市行政审批局", "seal_purpose": "行政审批专用章"},
    {"credit_code": MARKET, "name": "示例市市场监督管理局", "seal_purpose": "行政审批专用章"},
    {"credit_code": CIVIL, "name": "示例市民政局", "seal_purpose": "婚姻登记专用章"},
    {"credit_code": HEALTH, "name": "示例市卫生健康委员会", "seal_purpose": "出生医学证明专用章"},
]


def _s(title: str, title_en: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "title_en": title_en, **extra}


_DATE = {"format": "date"}
_SEX = {"enum": ["男", "女"]}

# Type codes: the issuing department's credit code + a 3-digit sequence (GB/T 36904 allows 0-9A-Z, ≤ 32).
BUSINESS_LICENSE = APPROVAL + "001"
FOOD_PERMIT = MARKET + "001"
MARRIAGE = CIVIL + "001"
ELDERLY_CARD = CIVIL + "002"
BIRTH_CERTIFICATE = HEALTH + "001"

LICENSE_TYPES: list[dict[str, Any]] = [
    {
        "type_code": BUSINESS_LICENSE,
        "name": "营业执照",
        "name_en": "Business license",
        "issuer_code": APPROVAL,
        "holder_kind": "organization",
        "reuse_class": "while_valid",
        "validity": None,
        "description": "市场主体登记的法定凭证。",
        "field_schema": {
            "type": "object",
            "required": [
                "entity_type",
                "legal_representative",
                "established_on",
                "address",
                "business_scope",
            ],
            "properties": {
                "entity_type": _s("类型", "Entity type", maxLength=50),
                "legal_representative": _s("法定代表人", "Legal representative", maxLength=50),
                "registered_capital": _s("注册资本", "Registered capital", maxLength=50),
                "established_on": _s("成立日期", "Established on", **_DATE),
                "address": _s("住所", "Address", maxLength=200),
                "business_scope": _s("经营范围", "Business scope", maxLength=1000),
            },
        },
    },
    {
        "type_code": FOOD_PERMIT,
        "name": "食品经营许可证",
        "name_en": "Food business permit",
        "issuer_code": MARKET,
        "holder_kind": "organization",
        "reuse_class": "while_valid",
        "validity": {"years": 5},
        "description": "从事食品销售和餐饮服务活动的许可。",
        "field_schema": {
            "type": "object",
            "required": ["legal_representative", "address", "main_business", "business_items"],
            "properties": {
                "legal_representative": _s("法定代表人（负责人）", "Legal representative", maxLength=50),
                "address": _s("经营场所", "Premises", maxLength=200),
                "main_business": _s(
                    "主体业态", "Main business", enum=["食品销售经营者", "餐饮服务经营者", "单位食堂"]
                ),
                "business_items": _s("经营项目", "Business items", maxLength=500),
            },
        },
    },
    {
        "type_code": MARRIAGE,
        "name": "结婚证",
        "name_en": "Marriage certificate",
        "issuer_code": CIVIL,
        "holder_kind": "person",
        "reuse_class": "selectable",
        "validity": None,
        "description": "婚姻登记机关发给当事人的结婚证明（每方一本）。",
        "field_schema": {
            "type": "object",
            "required": ["spouse_name", "registered_on", "certificate_no"],
            "properties": {
                "spouse_name": _s("配偶姓名", "Spouse", maxLength=50),
                "registered_on": _s("登记日期", "Registered on", **_DATE),
                "certificate_no": _s("结婚证字号", "Certificate no.", pattern=r"^J\d{6}-\d{4}-\d{6}$"),
            },
        },
    },
    {
        "type_code": BIRTH_CERTIFICATE,
        "name": "出生医学证明",
        "name_en": "Birth medical certificate",
        "issuer_code": HEALTH,
        "holder_kind": "person",
        "reuse_class": "always",
        "validity": None,
        "description": "新生儿出生的医学证明，终身有效。",
        "field_schema": {
            "type": "object",
            "required": ["sex", "born_on", "birthplace", "institution"],
            "properties": {
                "sex": _s("性别", "Sex", **_SEX),
                "born_on": _s("出生日期", "Born on", **_DATE),
                "birthplace": _s("出生地点", "Birthplace", maxLength=200),
                "mother_name": _s("母亲姓名", "Mother", maxLength=50),
                "father_name": _s("父亲姓名", "Father", maxLength=50),
                "institution": _s("接生机构", "Institution", maxLength=200),
            },
        },
    },
    {
        "type_code": ELDERLY_CARD,
        "name": "老年人优待证",
        "name_en": "Elderly preferential card",
        "issuer_code": CIVIL,
        "holder_kind": "person",
        "reuse_class": "while_valid",
        "validity": None,
        "description": "60周岁以上老年人享受优待服务的凭证。",
        "field_schema": {
            "type": "object",
            "required": ["sex", "born_on", "card_no"],
            "properties": {
                "sex": _s("性别", "Sex", **_SEX),
                "born_on": _s("出生日期", "Born on", **_DATE),
                "card_no": _s("证号", "Card no.", maxLength=30),
            },
        },
    },
]

ZHANGSAN = ("张三", "11010519491231002X")
LISI = ("李四", "110102199101010078")
COMPANY = ("示例科技有限公司", "91110000600037341L")

# (type code, holder name, holder number, data, valid_from ISO date)
LICENSES: list[tuple[str, str, str, dict[str, Any], str]] = [
    (
        BUSINESS_LICENSE,
        *COMPANY,
        {
            "entity_type": "有限责任公司（自然人投资或控股）",
            "legal_representative": "张三",
            "registered_capital": "100万元人民币",
            "established_on": "2015-06-18",
            "address": "示例市示例区科技路1号",
            "business_scope": "技术开发、技术咨询、技术服务；软件开发；"
            "餐饮服务（依法须经批准的项目，经相关部门批准后方可开展经营活动）。",
        },
        "2015-06-18",
    ),
    (
        FOOD_PERMIT,
        *COMPANY,
        {
            "legal_representative": "张三",
            "address": "示例市示例区科技路1号一层",
            "main_business": "餐饮服务经营者",
            "business_items": "热食类食品制售；冷食类食品制售",
        },
        "2024-03-01",
    ),
    (
        MARRIAGE,
        *ZHANGSAN,
        {"spouse_name": "李四", "registered_on": "2016-05-20", "certificate_no": "J110105-2016-000520"},
        "2016-05-20",
    ),
    (
        MARRIAGE,
        *LISI,
        {"spouse_name": "张三", "registered_on": "2016-05-20", "certificate_no": "J110105-2016-000521"},
        "2016-05-20",
    ),
    (
        BIRTH_CERTIFICATE,
        *LISI,
        {
            "sex": "男",
            "born_on": "1991-01-01",
            "birthplace": "示例市示例区",
            "mother_name": "王芳",
            "father_name": "李建国",
            "institution": "示例市妇幼保健院",
        },
        "1991-01-01",
    ),
    (
        ELDERLY_CARD,
        *ZHANGSAN,
        {"sex": "女", "born_on": "1949-12-31", "card_no": "YD110105202400001"},
        "2024-01-01",
    ),
]
