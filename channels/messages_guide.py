"""Texts of the public service-guide page (办事指南, ``/services/{code}``), zh-CN first, English second."""

from __future__ import annotations

from channels.msg import M
from channels.msg import m as _m

GUIDE: M = {
    "guide_title": _m("办事指南", "Service guide"),
    "guide_code": _m("事项编码", "Item code"),
    "guide_category": _m("事项类别", "Category"),
    "guide_personal": _m("个人事项", "Personal"),
    "guide_business": _m("法人事项", "Business"),
    "guide_departments": _m("实施机构", "Departments"),
    "guide_basis": _m("设定依据", "Legal basis"),
    "guide_conditions": _m("受理条件", "Conditions"),
    "guide_time_limit": _m("办理时限", "Time limit"),
    "guide_same_day": _m("即办件（当场办结）", "Same day"),
    "guide_working_days": _m("个工作日", "working days"),
    "guide_fees": _m("收费标准", "Fees"),
    "guide_channels": _m("办理渠道", "Channels"),
    "guide_online": _m("网上办理", "Online"),
    "guide_counter": _m("窗口办理", "Counter"),
    "guide_address": _m("办理地点", "Address"),
    "guide_hours": _m("办公时间", "Hours"),
    "guide_contact": _m("咨询电话", "Contact"),
    "guide_result": _m("办理结果", "Result"),
    "guide_materials": _m("申请材料", "Materials"),
    "guide_reuse": _m("复用", "reuse"),
    "guide_liability": _m("虚假承诺责任", "Liability if false"),
    "guide_accepted": _m("接受格式", "Accepted"),
    "guide_post_check": _m("告知承诺事后核查", "Post-checks of commitments"),
    "guide_kind_license_type": _m("电子证照，免提交", "e-license, taken from your wallet"),
    "guide_kind_document": _m("上传一次，可复用", "upload once, reused"),
    "guide_kind_form": _m("在线填写", "filled online"),
    "guide_kind_commitment": _m("告知承诺", "commitment"),
}
