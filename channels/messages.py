"""Texts of the web channels, zh-CN first, English second (the lookup: core/web/i18n.py, bound in rendering.py)."""

from __future__ import annotations

from channels.messages_forms import FORMS
from channels.messages_guide import GUIDE
from channels.messages_progress import PROGRESS
from channels.messages_staff import ADMIN, CONSOLE
from channels.msg import M
from channels.msg import m as _m

COMMON: M = {
    "brand": _m("一号通 网上办事大厅", "OneNumber online service hall"),
    "brand_verify": _m("一号通 电子证照核验", "OneNumber license verification"),
    "brand_console": _m("一号通 综合受理窗口", "OneNumber counter console"),
    "brand_kiosk": _m("一号通 自助服务终端", "OneNumber self-service kiosk"),
    "brand_admin": _m("一号通 管理后台", "OneNumber administration"),
    "switch_lang": _m("English", "中文"),
    "skip_to_content": _m("跳到主要内容", "Skip to main content"),
    "footer": _m(
        "示例市政务服务管理局 · 咨询电话 12345", "Example City Government Services · Helpline 12345"
    ),
    "nav_label": _m("主导航", "Main navigation"),
    "nav_licenses": _m("我的证照", "My licenses"),
    "nav_grants": _m("授权与用证记录", "Grants and access log"),
    "nav_services": _m("办事服务", "Services"),
    "nav_applications": _m("我的办件", "My applications"),
    "nav_console": _m("窗口工作台", "Counter console"),
    "nav_admin": _m("管理后台", "Administration"),
    "nav_account": _m("个人中心", "My account"),
    "acting_for": _m("代表 {org} 办事", "acting for {org}"),
    "switch_identity": _m("切换办事身份", "Switch identity"),
    "logout": _m("退出登录", "Log out"),
    "login_button": _m("登录", "Log in"),
    "login_title": _m("登录", "Log in"),
    "go_home": _m("返回首页", "Back to the hall"),
    "error_title": _m("出错了", "Something went wrong"),
    "actions": _m("操作", "Actions"),
    "status": _m("状态", "Status"),
    "when": _m("时间", "When"),
    "license": _m("证照", "License"),
    "issuer": _m("颁证单位", "Issuer"),
    "holder": _m("持证主体", "Holder"),
    "identifier": _m("证照标识", "License identifier"),
    "valid_period": _m("有效期", "Valid"),
    "valid_until": _m("有效至", "Valid until"),
    "no_expiry": _m("长期", "no expiry"),
    "minutes": _m("{n} 分钟", "{n} minutes"),
    "file": _m("文件", "File"),
    "serial": _m("办件流水号", "Serial number"),
    "item": _m("事项", "Service item"),
    "outcome": _m("办理结果", "Outcome"),
    "outcome_approved": _m("准予", "Approved"),
    "outcome_rejected": _m("不予准许", "Rejected"),
    "delivered_at": _m("办结时间", "Concluded"),
    "sha256": _m("文件摘要 (SHA-256)", "File digest (SHA-256)"),
    "signature": _m("电子签章", "Seal"),
    "sig_ok": _m("有效", "valid"),
    "sig_bad": _m("无效", "not valid"),
    "status_valid": _m("有效", "Valid"),
    "status_suspended": _m("暂扣", "Suspended"),
    "status_revoked": _m("已吊销", "Revoked"),
    "status_cancelled": _m("已注销", "Cancelled"),
    "status_expired": _m("已过期", "Expired"),
    "status_superseded": _m("已被新版本替换", "Superseded"),
    "status_not_yet_valid": _m("尚未生效", "Not yet valid"),
}

HALL: M = {
    "welcome_title": _m("欢迎使用网上办事大厅", "Welcome to the online service hall"),
    "welcome_intro": _m(
        "一个号码、一次登录：查看和出示您的电子证照，在线申请政务服务，随时查看办理进度。",
        "One number, one login: see and show your e-licenses, apply for government services online and "
        "follow your applications.",
    ),
    "feature_licenses": _m(
        "电子证照：出示二维码、下载加盖电子印章的原件",
        "E-licenses: show a QR code, download the sealed original",
    ),
    "feature_apply": _m(
        "一次告知：系统自动调用证照，只补缺少的材料",
        "Told once: your licenses are reused, you add only what is missing",
    ),
    "feature_verify": _m(
        "任何人都可以核验证照和签章文件：", "Anyone can check a license or a sealed document:"
    ),
    "licenses_title": _m("我的证照", "My licenses"),
    "licenses_empty": _m("您还没有电子证照。", "You have no e-licenses yet."),
    "download_pdf": _m("下载盖章原件 (PDF)", "Download the sealed original (PDF)"),
    "present_title": _m("亮证", "Show this license"),
    "present_intro": _m(
        "生成一个短时有效的二维码，只包含您勾选的信息。核验方扫码即可查看证照状态。",
        "Make a short-lived QR code that reveals only the details you tick. The verifier scans it to see "
        "the license's status.",
    ),
    "present_fields": _m("要出示的信息", "Details to reveal"),
    "present_ttl": _m("二维码有效时长", "QR code valid for"),
    "present_button": _m("生成亮证二维码", "Show QR code"),
    "present_show_this": _m("请向核验人员出示此二维码。", "Show this QR code to the person checking."),
    "present_expires": _m("有效期至 {at}", "Valid until {at}"),
    "present_revealed": _m("出示的信息", "Revealed"),
    "present_none": _m("仅证照状态和颁证单位", "only status and issuer"),
    "present_open_link": _m("在本机打开核验链接", "Open the verification link here"),
    "present_code": _m("亮证码（可复制给核验方）", "Presentation code (to copy)"),
    "qr_label_present": _m("亮证二维码", "Presentation QR code"),
    "grant_title": _m("用证授权", "Let a department use this license"),
    "grant_department": _m("被授权部门", "Department"),
    "grant_purpose": _m("用途", "Purpose"),
    "grant_days": _m("授权天数", "Days"),
    "grant_button": _m("授权", "Grant"),
    "history_title": _m("证照历史", "History"),
    "event_issued": _m("颁发", "issued"),
    "event_suspended": _m("暂扣", "suspended"),
    "event_reinstated": _m("恢复", "reinstated"),
    "event_revoked": _m("吊销", "revoked"),
    "event_cancelled": _m("注销", "cancelled"),
    "event_superseded": _m("被新版本替换", "superseded"),
    "event_amended": _m("变更", "amended"),
    "grants_title": _m("授权与用证记录", "Grants and access log"),
    "grants_empty": _m(
        "您没有授权任何部门使用您的证照。", "You have not let any department use your licenses."
    ),
    "grants_caption": _m("我的用证授权", "My grants"),
    "grant_active": _m("生效中", "active"),
    "grant_inactive": _m("已失效", "ended"),
    "withdraw": _m("撤回", "Withdraw"),
    "access_log_title": _m("谁查看了我的证照", "Who looked at my licenses"),
    "access_log_empty": _m("暂无记录。", "Nobody yet."),
    "access_log_caption": _m("用证与核验记录（最近 200 条）", "Reads and checks (latest 200)"),
    "accessor": _m("查看方", "By"),
    "action": _m("方式", "What"),
    "channel": _m("渠道", "Channel"),
    "access_read": _m("查阅", "read"),
    "access_verify": _m("核验", "verified"),
    "access_present": _m("亮证", "shown"),
    "access_download": _m("下载", "downloaded"),
    "access_download_failed": _m("下载未成功", "download failed"),
    "access_export": _m("导出", "exported"),
}

VERIFY: M = {
    "verify_title": _m("电子证照核验", "Verify a license"),
    "verdict_valid": _m("核验通过", "Verified"),
    "verdict_invalid": _m("核验未通过", "Not valid"),
    "shown": _m("出示于", "Shown"),
    "seconds_ago": _m("{n} 秒前", "{n} seconds ago"),
    "checked_at": _m("核验时间", "Checked at"),
    "verify_code_title": _m("输入亮证码", "Enter a presentation code"),
    "verify_code_intro": _m(
        "用手机相机扫描持证人的二维码会直接打开本页；也可以粘贴亮证码或核验链接。",
        "Scanning the holder's QR code with a phone camera opens this page; you can also paste the code or "
        "the link.",
    ),
    "verify_code_label": _m("亮证码或核验链接", "Presentation code or link"),
    "verify_button": _m("核验", "Verify"),
    "verify_pdf_title": _m("上传盖章 PDF 文件", "Upload a sealed PDF"),
    "verify_pdf_label": _m("PDF 文件", "PDF file"),
    "pdf_valid": _m(
        "签章有效，是登记在册的证照原件", "The seal is valid and this is the registered original"
    ),
    "pdf_valid_result": _m(
        "签章有效，是本平台出具的办结文书", "The seal is valid: a result document issued by this platform"
    ),
    "pdf_invalid": _m("核验未通过", "Not valid"),
}

ERRORS: M = {
    "err_generic": _m("请求未能完成，请稍后再试。", "The request could not be completed. Please try again."),
    "err_generic_detail": _m("请求未能完成：{detail}", "The request could not be completed: {detail}"),
    "err_bad_input": _m(
        "填写的内容有误，请检查后重新提交。",
        "Some of what you entered is not valid. Please check and try again.",
    ),
    "err_not_found": _m("没有找到该页面或记录。", "That page or record does not exist."),
    "err_delegation_insufficient": _m(
        "您的经办授权只能查看，不能修改该企业的办件（补正、预约、评价须获得“代办事项申请”授权）。",
        "Your authorisation lets you see the company's applications, not change them (supplements, bookings and "
        "ratings need the \"apply for services\" authorisation).",
    ),
    "err_csrf": _m(
        "页面已过期，请返回刷新后重新提交。", "This page has expired. Go back, reload it and try again."
    ),
    "err_login_state": _m(
        "登录已过期或不完整，请重新登录。", "The login expired or was interrupted. Please log in again."
    ),
    "err_login_denied": _m("您取消了登录。", "You cancelled the login."),
    "err_login_failed": _m(
        "登录未能完成，请重新登录。", "The login could not be completed. Please log in again."
    ),
    "err_token_empty": _m("请输入亮证码或核验链接。", "Enter a presentation code or link."),
    "err_file_empty": _m("上传的文件是空的。", "The uploaded file is empty."),
    "err_upload_too_large": _m("文件太大，超过了上传上限。", "The file is larger than the upload limit."),
    "err_verify_busy": _m(
        "核验服务繁忙，请稍等片刻后重新上传。", "Verification is busy right now; please upload the file again in a moment."
    ),
    "err_invalid_token": _m("登录已失效，请重新登录。", "Your login has expired. Please log in again."),
    "err_forbidden": _m("您没有权限进行此操作。", "You are not allowed to do this."),
    "err_license_not_found": _m("没有找到该证照。", "No such license."),
    "err_grant_not_found": _m("没有找到该授权。", "No such grant."),
    "err_unknown_department": _m("没有这个部门。", "There is no such department."),
    "err_purpose_required": _m("请填写用途。", "Please state the purpose."),
    "err_grant_days": _m("授权天数须在 1 到 365 天之间。", "A grant lasts between 1 and 365 days."),
    "err_invalid_presentation": _m(
        "亮证码无效：可能被篡改或不是本平台签发的。",
        "This presentation code is not valid: it was altered or not issued here.",
    ),
    "err_presentation_expired": _m(
        "亮证二维码已过期，请持证人重新亮证。",
        "The QR code has expired. Ask the holder to show the license again.",
    ),
    "err_presentation_not_yet_valid": _m("亮证码的时间不正确。", "The presentation code's time is wrong."),
    "err_not_configured": _m(
        "服务暂不可用，请联系管理员。", "The service is not available; please contact the administrator."
    ),
    "err_staff_only": _m("此页面仅供工作人员使用。", "This page is for staff only."),
    "err_admin_only": _m("此页面仅供管理员使用。", "This page is for administrators only."),
    "err_organisation_required": _m(
        "该事项需以单位身份办理，请先切换为代表单位办事。",
        "This service is applied for by an organisation: switch to acting for it first.",
    ),
    "err_materials_missing": _m(
        "还有材料没有提供，请补齐后再提交。", "Some materials are still missing. Add them and submit again."
    ),
    "err_confirm_in_person": _m(
        "请先确认已当面核验申请人身份证件。",
        "Confirm that you checked the applicant's ID document in person.",
    ),
    "err_invalid_holder_number": _m(
        "证件号码不正确，请检查。", "That ID number is not valid; please check it."
    ),
}

KIOSK: M = {
    "kiosk_title": _m("扫码登录", "Scan to log in"),
    "kiosk_intro": _m(
        "用已登录“一号通”的手机扫描二维码，即可在本终端查看和打印您的电子证照。",
        "Scan the QR code with a phone that is logged in to OneNumber to see and print your licenses here.",
    ),
    "kiosk_start": _m("开始扫码登录", "Start: scan to log in"),
    "kiosk_scan_title": _m("请用手机扫码", "Scan with your phone"),
    "kiosk_scan_intro": _m("扫码后在手机上点击“同意”。", "Then tap “Allow” on your phone."),
    "kiosk_qr_label": _m("终端登录二维码", "Kiosk login QR code"),
    "kiosk_code_hint": _m(
        "无法扫码？在手机上打开 {uri} 并输入验证码：", "Cannot scan? Open {uri} on your phone and enter:"
    ),
    "kiosk_waiting": _m("正在等待手机确认…", "Waiting for your phone…"),
    "kiosk_denied": _m("您在手机上拒绝了登录。", "The login was refused on the phone."),
    "kiosk_expired": _m("二维码已过期，请重新开始。", "The QR code has expired; please start again."),
    "kiosk_continue": _m("已在手机上确认？点此继续", "Confirmed on your phone? Continue"),
    "kiosk_licenses_title": _m("我的电子证照", "My licenses"),
    "kiosk_hello": _m("{name}，您好。", "Hello, {name}."),
    "kiosk_idle_note": _m(
        "为保护您的隐私，{n} 秒无操作将自动退出。",
        "To protect your privacy you are logged out after {n} seconds without use.",
    ),
    "kiosk_print": _m("打印", "Print"),
    "kiosk_logout": _m("退出", "Log out"),
    "cancel": _m("取消", "Cancel"),
}

SERVICES: M = {
    "services_title": _m("办事服务", "Services"),
    "services_none": _m("暂无事项。", "No services yet."),
    "category_personal": _m("个人办事", "For persons"),
    "category_business": _m("法人办事", "For organisations"),
    "same_day": _m("即办件", "same day"),
    "working_days_n": _m("{n} 个工作日", "{n} working days"),
    "apply_online": _m("在线申请", "Apply online"),
    "item_code": _m("事项编码", "Item code"),
    "departments": _m("实施机构", "Departments"),
    "time_limit": _m("办理时限", "Time limit"),
    "conditions": _m("受理条件", "Conditions"),
    "legal_basis": _m("设定依据", "Legal basis"),
    "address": _m("办理地点", "Address"),
    "hours": _m("办公时间", "Hours"),
    "result": _m("办理结果", "Result"),
    "materials": _m("申请材料", "Materials"),
    "full_guide": _m("完整办事指南", "Full service guide"),
    "kind_license_type": _m("电子证照，免提交", "e-license, taken from the wallet"),
    "kind_document": _m("上传一次，可复用", "upload once, reused"),
    "kind_form": _m("在线填写", "filled online"),
    "kind_commitment": _m("告知承诺", "commitment"),
    "apply_title": _m("申请：{item}", "Apply: {item}"),
    "applicant": _m("申请人", "Applicant"),
    "role_self": _m("本人", "self"),
    "role_legal_representative": _m("法定代表人", "legal representative"),
    "role_agent": _m("经办人", "agent"),
    "role_counter": _m("窗口代录", "taken at a counter"),
    "missing_once": _m(
        "一次性告知：还需要以下 {n} 项，其余材料已自动调取。",
        "Told once: {n} items are still needed; everything else was found for you.",
    ),
    "nothing_missing": _m(
        "所需材料已全部调取，确认后即可提交。", "Everything needed was found; check and submit."
    ),
    "action_upload": _m("上传", "upload"),
    "action_sign": _m("签署承诺", "sign the commitment"),
    "action_fill": _m("填写", "fill in"),
    "action_select": _m("选择", "choose"),
    "action_obtain": _m("需先办理该证照", "obtain it first"),
    "matched_wallet": _m("已从电子证照库调取", "taken from your e-licenses"),
    "matched_reused": _m("复用此前提交的材料", "reused from an earlier application"),
    "matched_uploaded": _m("本次上传", "uploaded"),
    "matched_counter": _m("窗口核验原件", "original checked at a counter"),
    "matched_form": _m("在线填写", "filled online"),
    "matched_commitment": _m("告知承诺", "commitment"),
    "reused": _m("复用", "reused"),
    "trust_level": _m("可信等级 {level}", "trust level {level}"),
    "choose_license": _m("请选择要使用的证照", "Choose the license to use"),
    "choose_document": _m(
        "请选择要复用的材料，或重新上传", "Choose a document to reuse, or upload a new one"
    ),
    "license_needed": _m(
        "您的证照库中没有可用的该证照，请先办理。", "No usable license of this kind is in your wallet."
    ),
    "upload_file": _m("上传文件", "Upload a file"),
    "optional": _m("（选填）", "(optional)"),
    "replaces_proof": _m("以承诺代替：{proof}", "Instead of: {proof}"),
    "liability": _m("承诺不实的责任", "If untrue"),
    "i_commit": _m("本人已阅读并作出上述承诺", "I have read and make this commitment"),
    "holder_number": _m("证件号码", "ID number"),
    "submit_application": _m("提交申请", "Submit the application"),
    "applications_title": _m("我的办件", "My applications"),
    "applications_empty": _m("您还没有办件。", "You have no applications yet."),
    "applications_caption": _m("我的办件（最近 100 件）", "My applications (latest 100)"),
    "deadline": _m("承诺办结日", "Due by"),
    "submitted_ok": _m("申请已提交，办件流水号 {serial}。", "Submitted. Your serial number is {serial}."),
    "supplement_requested": _m("部门一次性告知需补正以下内容：", "The department asks, once, for:"),
    "result_ready": _m("已办结：{outcome}", "Concluded: {outcome}"),
    "download_result": _m("下载盖章结果文书 (PDF)", "Download the sealed result (PDF)"),
    "new_license": _m("新证照已放入您的证照库：", "The new license is in your wallet:"),
    "timeline": _m("办理进度", "Progress"),
    "rating_title": _m("好差评", "Rate this service"),
    "rating_score": _m("评价", "Your rating"),
    "rating_comment": _m("意见建议（选填）", "Comments (optional)"),
    "rating_submit": _m("提交评价", "Submit rating"),
    "rating_done": _m("您已评价：{score} 星。谢谢！", "You rated this {score} of 5. Thank you!"),
    "score_5": _m("非常满意", "Very satisfied"),
    "score_4": _m("满意", "Satisfied"),
    "score_3": _m("基本满意", "Fairly satisfied"),
    "score_2": _m("不满意", "Dissatisfied"),
    "score_1": _m("非常不满意", "Very dissatisfied"),
    "app_status_submitted": _m("待受理", "waiting for acceptance"),
    "app_status_in_review": _m("审核中", "in review"),
    "app_status_supplement": _m("待补正", "supplement requested"),
    "app_status_approved": _m("已办结（准予）", "concluded: approved"),
    "app_status_rejected": _m("已办结（不予准许）", "concluded: rejected"),
    "app_status_withdrawn": _m("已撤回", "withdrawn"),
    "app_event_submitted": _m("提交申请", "submitted"),
    "app_event_accepted": _m("受理", "accepted"),
    "app_event_routed": _m("流转至部门", "routed to a department"),
    "app_event_reviewed": _m("初审通过", "reviewed"),
    "app_event_approved": _m("审批通过", "approved"),
    "app_event_rejected": _m("不予准许", "rejected"),
    "app_event_supplement_requested": _m("一次性告知补正", "supplement requested"),
    "app_event_supplemented": _m("已补正", "supplemented"),
    "app_event_concluded": _m("办结", "concluded"),
    "app_event_delivered": _m("出件", "delivered"),
    "app_event_rated": _m("评价", "rated"),
    "app_event_booked": _m("预约", "appointment booked"),
    "counter_trust_b": _m(
        "窗口核验原件后上传的材料记为可信等级 B。",
        "Originals checked at the counter are stored with trust level B.",
    ),
}

MESSAGES: M = {**COMMON, **HALL, **VERIFY, **ERRORS, **KIOSK, **SERVICES, **CONSOLE, **ADMIN, **FORMS, **PROGRESS, **GUIDE}
