"""The service guide as an HTML page (zh-CN, English with ``?lang=en``) and as a QR code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)

_TEXT = {
    "zh": {
        "guide": "办事指南",
        "switch": "English",
        "code": "事项编码",
        "category": "事项类别",
        "personal": "个人事项",
        "business": "法人事项",
        "departments": "实施机构",
        "basis": "设定依据",
        "conditions": "受理条件",
        "time_limit": "办理时限",
        "same_day": "即办件（当场办结）",
        "working_days": "个工作日",
        "fees": "收费标准",
        "channels": "办理渠道",
        "online": "网上办理",
        "counter": "窗口办理",
        "address": "办理地点",
        "hours": "办公时间",
        "contact": "咨询电话",
        "result": "办理结果",
        "materials": "申请材料",
        "reuse": "复用",
        "liability": "虚假承诺责任",
        "accepted": "接受格式",
        "post_check": "告知承诺事后核查",
        "kind_license_type": "电子证照，免提交",
        "kind_document": "上传一次，可复用",
        "kind_form": "在线填写",
        "kind_commitment": "告知承诺",
    },
    "en": {
        "guide": "Service guide",
        "switch": "中文",
        "code": "Item code",
        "category": "Category",
        "personal": "Personal",
        "business": "Business",
        "departments": "Departments",
        "basis": "Legal basis",
        "conditions": "Conditions",
        "time_limit": "Time limit",
        "same_day": "Same day",
        "working_days": "working days",
        "fees": "Fees",
        "channels": "Channels",
        "online": "Online",
        "counter": "Counter",
        "address": "Address",
        "hours": "Hours",
        "contact": "Contact",
        "result": "Result",
        "materials": "Materials",
        "reuse": "reuse",
        "liability": "Liability if false",
        "accepted": "Accepted",
        "post_check": "Post-checks of commitments",
        "kind_license_type": "e-license, taken from your wallet",
        "kind_document": "upload once, reused",
        "kind_form": "filled online",
        "kind_commitment": "commitment",
    },
}


def render_guide(guide: dict[str, Any], *, lang: str = "zh") -> str:
    """The guide page in Chinese, or English when ``lang`` is ``en``."""
    lang = "en" if lang == "en" else "zh"
    return _ENV.get_template("guide.html").render(g=guide, t=_TEXT[lang], lang=lang)
