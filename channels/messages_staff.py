"""Texts of the counter console and the admin pages, zh-CN first, English second (see messages.py)."""

from __future__ import annotations

from channels.msg import M
from channels.msg import m as _m

CONSOLE: M = {
    "console_title": _m("窗口工作台", "Counter console"),
    "console_find": _m("查找办事人", "Find the applicant"),
    "person_name": _m("姓名 / 单位名称", "Name"),
    "console_confirm": _m(
        "我已当面核验申请人的身份证件原件", "I checked the applicant's ID document in person"
    ),
    "console_find_button": _m("查找", "Find"),
    "console_accept": _m("受理网上申请", "Accept an online application"),
    "console_accept_button": _m("受理", "Accept"),
    "console_queues": _m("部门审批队列", "Department queues"),
    "console_person": _m("办事人", "Applicant"),
    "console_confirmed": _m("已当面核验：{name}（{number}）", "Checked in person: {name} ({number})"),
    "console_take": _m("代为申请", "Take an application"),
    "console_taken": _m("已受理，办件流水号 {serial}。", "Taken. Serial number {serial}."),
    "continue": _m("继续", "Continue"),
    "queue_title": _m("审批队列", "Review queue"),
    "queue_all": _m("全部", "All"),
    "queue_near_due": _m("临近到期", "Due soon"),
    "queue_overdue": _m("已超期", "Overdue"),
    "queue_empty": _m("队列中没有待办件。", "The queue is empty."),
    "queue_caption": _m("绿色通道优先，按承诺办结日排序", "Green channel first, then by due date"),
    "green_channel": _m("绿色通道", "green channel"),
    "overdue": _m("已超期", "overdue"),
    "days_left": _m("剩 {n} 个工作日", "{n} working days left"),
    "task_pending": _m("待审核", "to review"),
    "task_reviewed": _m("待审批", "to approve"),
    "task_supplement": _m("待补正", "waiting for supplement"),
    "task_approved": _m("已审批", "approved"),
    "task_rejected": _m("不予准许", "rejected"),
    "channel_online": _m("网上申请", "online"),
    "channel_counter": _m("窗口受理", "counter"),
    "form_values": _m("申请表", "Application form"),
    "review_title": _m("审核", "Decision"),
    "decision": _m("审核意见", "Decision"),
    "approve_and_seal": _m("准予（办结并加盖电子印章）", "Approve (conclude and seal)"),
    "approve_review": _m("初审通过", "Reviewed: pass on for approval"),
    "reject": _m("不予准许", "Reject"),
    "ask_supplement": _m("一次性告知补正", "Ask for a supplement (once)"),
    "reasons": _m("理由 / 需补正的内容", "Reasons / what is needed"),
    "reasons_hint": _m("每行一条", "one per line"),
    "submit_decision": _m("提交", "Submit"),
    "sealed_result": _m("盖章结果文书", "Sealed result"),
    "open_pdf": _m("在新窗口打开 PDF", "Open the PDF"),
}

ADMIN: M = {
    "admin_title": _m("管理后台", "Administration"),
    "admin_departments": _m("部门", "Departments"),
    "admin_types": _m("证照目录", "License types"),
    "admin_items": _m("事项目录", "Service items"),
    "admin_clients": _m("接入应用（OAuth 客户端）", "Applications (OAuth clients)"),
    "admin_clients_note": _m(
        "接入应用由统一身份认证系统管理，请使用命令 onenumber clients list 查看。",
        "Clients are managed by the identity provider; use the command onenumber clients list.",
    ),
    "name": _m("名称", "Name"),
    "credit_code": _m("统一社会信用代码", "Credit code"),
    "seal_purpose": _m("印章用途", "Seal"),
    "type_code": _m("目录编码", "Type code"),
    "reuse_class": _m("复用规则", "Reuse"),
    "holder_kind_person": _m("个人", "person"),
    "holder_kind_organization": _m("单位", "organisation"),
    "reuse_always": _m("始终复用", "always"),
    "reuse_while_valid": _m("有效期内复用", "while valid"),
    "reuse_selectable": _m("申请人选择", "holder chooses"),
    "reuse_never": _m("不复用", "never"),
}
