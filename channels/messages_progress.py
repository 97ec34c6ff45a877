"""Texts of the public progress page (办件进度查询), zh-CN first, English second."""

from __future__ import annotations

from channels.msg import M
from channels.msg import m as _m

PROGRESS: M = {
    "progress_title": _m("办件进度查询", "Application progress"),
    "progress_intro": _m(
        "输入办件流水号和查询码，查看办件的进度与办理结果（不显示个人信息）。",
        "Enter the serial number and the query code to see the progress and the result (no personal data).",
    ),
    "progress_query_code": _m("查询码", "Query code"),
    "progress_submit": _m("查询", "Look up"),
    "progress_not_found": _m(
        "没有找到该办件：请核对办件流水号和查询码（查询码在提交申请时告知，也印在办件结果通知书的二维码中）。",
        "No application found: check the serial number and the query code (given when the application was "
        "submitted, and carried by the QR code of the result notice).",
    ),
    "progress_submitted_on": _m("申请日期", "Submitted on"),
    "progress_concluded_on": _m("办结日期", "Concluded on"),
    "progress_result_note": _m(
        "本页由一号通平台按办件流水号和查询码显示，可与办件结果通知书核对；通知书上的电子印章请在核验页核验。",
        "This page is shown by the OneNumber platform for the serial number and query code; compare it with "
        "the result notice, and check the notice's e-seal on the verification page.",
    ),
}
