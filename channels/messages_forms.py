"""Texts of the supplement, appointment and admin forms, zh-CN first, English second (see messages.py)."""

from __future__ import annotations

from channels.msg import M
from channels.msg import m as _m

SUPPLEMENT: M = {
    "submit_supplement": _m("提交补正材料", "Send the requested materials"),
    "supplement_which": _m("需补正的材料（一次性全部勾选）", "Materials to provide again (tick all of them, once)"),
    "notice_supplemented": _m(
        "补正材料已提交，办件已回到审核中。", "Your materials were sent; the application is back in review."
    ),
    "notice_booked": _m("预约成功。", "Your appointment is booked."),
    "notice_cancelled": _m("预约已取消。", "Your appointment was cancelled."),
    "err_supplement_missing": _m(
        "补正还缺少下列标红的内容，请一并提供后再提交。",
        "Some requested items are still missing (marked in red); provide them all and send again.",
    ),
    "err_switch_identity_for_application": _m(
        "请先切换到提交该办件时的身份。", "Switch to the identity this application was made for first."
    ),
}

APPOINTMENT: M = {
    "appointment_title": _m("预约办理", "Appointment at a service centre"),
    "appointment_intro": _m(
        "本事项需到窗口办理一次。同城任一政务服务中心均可受理，请选择中心和时段。",
        "This item needs one counter visit. Any service centre in the city accepts it: choose a centre and a time.",
    ),
    "appointment_centre": _m("政务服务中心", "Service centre"),
    "appointment_time": _m("预约时间", "Time"),
    "appointment_show_slots": _m("查看可预约时段", "Show free times"),
    "appointment_free_slots": _m("{centre} 可预约时段", "Free times at {centre}"),
    "appointment_places": _m("余 {n} 个号", "{n} left"),
    "appointment_book": _m("预约", "Book"),
    "appointment_cancel": _m("取消预约", "Cancel the appointment"),
    "appointment_no_slots": _m(
        "该中心近期没有可预约的时段，请选择其他中心。",
        "This centre has no free times soon; choose another centre.",
    ),
    "appointment_none": _m("办件已办结，无需预约。", "The application is concluded; no appointment is needed."),
    "err_slot_unavailable": _m("该时段已约满或已开始，请选择其他时段。", "That time is full or has started; choose another."),
    "err_appointment_not_found": _m("没有找到该预约。", "No such appointment."),
    "err_appointment_already_booked": _m(
        "您已预约过该事项，且预约尚未到期。同一事项只能保留一个有效预约，如需改约请先取消原预约。",
        "You already have an appointment for this service that has not taken place; cancel it before booking "
        "another.",
    ),
    "err_appointment_daily_limit": _m(
        "您今天的预约次数已达上限（已取消的预约也计入），请明天再试。",
        "You have made as many appointments today as one person may (cancelled ones count); try again tomorrow.",
    ),
    "err_invalid_application_state": _m(
        "办件当前状态不允许此操作，请刷新页面后再试。",
        "The application's current status does not allow this; reload the page and try again.",
    ),
}

ADMIN_FORMS: M = {
    "admin_save": _m("保存", "Save"),
    "admin_saved": _m("已保存。", "Saved."),
    "admin_guide": _m("办事指南", "guide"),
    "admin_department_new": _m("新增部门", "New department"),
    "admin_department_edit": _m("编辑部门", "Edit department"),
    "admin_type_new": _m("新增证照类型", "New license type"),
    "admin_type_edit": _m("编辑证照类型", "Edit license type"),
    "admin_item_new": _m("新增事项", "New service item"),
    "admin_item_edit": _m("编辑事项", "Edit service item"),
    "admin_name_en": _m("英文名称", "English name"),
    "admin_description": _m("说明", "Description"),
    "admin_validity": _m("有效期（均为 0 表示长期有效）", "Validity (both 0: no expiry)"),
    "admin_years": _m("年", "Years"),
    "admin_months": _m("月", "Months"),
    "admin_field_schema": _m("照面字段（JSON Schema）", "License fields (JSON Schema)"),
    "admin_category": _m("服务对象", "Category"),
    "admin_category_personal": _m("个人", "personal"),
    "admin_category_business": _m("法人", "business"),
    "admin_item_departments": _m("实施部门（第一个为牵头部门）", "Departments (the first leads)"),
    "admin_legal_basis": _m("设定依据", "Legal basis"),
    "admin_conditions": _m("受理条件", "Conditions"),
    "admin_needs_visit": _m("需到窗口办理一次（可预约）", "Needs one counter visit (bookable)"),
    "admin_issues_license": _m("办结后发放的证照", "License issued on approval"),
    "admin_fees": _m("收费标准", "Fees"),
    "admin_address": _m("办理地点", "Address"),
    "admin_hours": _m("办理时间", "Hours"),
    "admin_contact": _m("咨询电话", "Contact"),
    "admin_requirements": _m("申请材料（JSON）", "Required materials (JSON)"),
    "admin_requirements_hint": _m(
        "每项材料一个对象：key、kind（license_type / document / form / commitment）、name ……",
        "one object per material: key, kind (license_type / document / form / commitment), name, …",
    ),
    "err_admin_json": _m(
        "“{field}”不是有效的 JSON（第 {line} 行），请检查括号、引号和逗号。",
        "“{field}” is not valid JSON (line {line}); check the brackets, quotes and commas.",
    ),
    "err_admin_field": _m("“{field}”填写有误：{detail}", "“{field}” is not right: {detail}"),
    "err_admin_vague": _m(
        "材料“{name}”不是具体的材料。请逐项列明需要的材料及适用情形，不要使用“其他材料”“等”这类兜底表述。",
        "“{name}” does not name a concrete material. List each material and when it is needed "
        "instead of “other materials” or “etc.”.",
    ),
    "err_invalid_credit_code": _m(
        "统一社会信用代码无效，请核对 18 位代码（含校验位）。",
        "That unified social credit code is not valid; check all 18 characters, including the check one.",
    ),
}

FORMS: M = {**SUPPLEMENT, **APPOINTMENT, **ADMIN_FORMS}
