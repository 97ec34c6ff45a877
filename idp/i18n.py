"""Texts of the idp pages, zh-CN first, English second (the lookup and the language codes: core/web/i18n.py)."""

from __future__ import annotations

from core.web import i18n

MESSAGES: dict[str, dict[str, str]] = {
    "brand": {"zh-CN": "一号通 统一身份认证", "en": "OneNumber sign-in"},
    "switch_lang": {"zh-CN": "English", "en": "中文"},
    "login_title": {"zh-CN": "登录", "en": "Sign in"},
    "number": {"zh-CN": "证件号码", "en": "ID number"},
    "number_hint": {"zh-CN": "18 位居民身份证号码", "en": "18-character resident ID number"},
    "password": {"zh-CN": "密码", "en": "Password"},
    "login_button": {"zh-CN": "登录", "en": "Sign in"},
    "login_failed": {"zh-CN": "证件号码或密码错误", "en": "The ID number or password is wrong."},
    "locked": {
        "zh-CN": "尝试次数过多，账户已暂时锁定，请稍后再试",
        "en": "Too many attempts. The account is locked for a while; please try again later.",
    },
    "register_link": {"zh-CN": "注册新账户", "en": "Create an account"},
    "reset_link": {"zh-CN": "忘记密码", "en": "Forgot password"},
    "totp_title": {"zh-CN": "动态验证码", "en": "One-time code"},
    "totp_intro": {
        "zh-CN": "该服务需要更高的安全级别，请输入身份验证器上的 6 位动态码。",
        "en": "This service needs a higher level of assurance. "
        "Enter the 6-digit code from your authenticator.",
    },
    "totp_code": {"zh-CN": "动态验证码", "en": "One-time code"},
    "totp_failed": {"zh-CN": "动态验证码不正确", "en": "The one-time code is not correct."},
    "continue": {"zh-CN": "继续", "en": "Continue"},
    "select_title": {"zh-CN": "选择办事身份", "en": "Act as"},
    "select_intro": {
        "zh-CN": "您可以以个人身份办事，或代表以下单位办事。",
        "en": "You can act for yourself or for one of these organisations.",
    },
    "myself": {"zh-CN": "本人", "en": "Myself"},
    "role_legal_representative": {"zh-CN": "法定代表人", "en": "legal representative"},
    "role_agent": {"zh-CN": "经办人", "en": "authorised agent"},
    "consent_title": {"zh-CN": "授权确认", "en": "Allow access"},
    "consent_intro": {"zh-CN": "{client} 请求获取您的以下信息：", "en": "{client} asks for:"},
    "scope_openid": {"zh-CN": "您的账户标识", "en": "your account identifier"},
    "scope_openid_pairwise": {
        "zh-CN": "该应用专用的账户标识（各应用不同，无法据此关联您）",
        "en": "an account identifier for this application only (other applications cannot link you by it)",
    },
    "scope_profile": {"zh-CN": "姓名及实名认证等级", "en": "your name and identity assurance level"},
    "scope_id_number": {"zh-CN": "证件号码", "en": "your ID number"},
    "scope_phone": {"zh-CN": "手机号码", "en": "your phone number"},
    "scope_offline_access": {"zh-CN": "在您离开后继续访问", "en": "access while you are away"},
    "scope_wallet:read": {"zh-CN": "查看您卡包中的电子证照及其使用记录", "en": "see your e-licenses and who used them"},
    "scope_wallet:share": {"zh-CN": "亮证、导出及授权他人使用您的电子证照", "en": "show, export and share your e-licenses"},
    "scope_wallet:apply": {"zh-CN": "以您的名义申请办事、预约和投诉", "en": "apply, book and complain in your name"},
    "allow": {"zh-CN": "同意", "en": "Allow"},
    "deny": {"zh-CN": "拒绝", "en": "Deny"},
    "device_title": {"zh-CN": "设备登录", "en": "Sign in on a device"},
    "device_intro": {
        "zh-CN": "请输入自助终端上显示的验证码。",
        "en": "Enter the code shown on the self-service kiosk.",
    },
    "user_code": {"zh-CN": "验证码", "en": "Code"},
    "device_confirm": {
        "zh-CN": "是否允许 {client} 以您的身份登录？验证码：{code}",
        "en": "Let {client} sign in as you? Code: {code}",
    },
    "device_unknown": {
        "zh-CN": "验证码不存在或已过期，请在终端上重新获取。",
        "en": "This code is unknown or has expired. Get a new one on the kiosk.",
    },
    "device_warning": {
        "zh-CN": "请只确认您面前屏幕上显示的验证码。如果验证码是别人发给您的（短信、电话、聊天），请点击“拒绝”："
        "对方会以您的身份登录。",
        "en": "Only confirm a code shown on a screen in front of you. If someone sent you this code (text "
        "message, call, chat), choose Deny: they would be signed in as you.",
    },
    "device_location": {"zh-CN": "终端位置：{location}", "en": "Kiosk location: {location}"},
    "device_will_see": {
        "zh-CN": "确认后，该终端将可以看到：",
        "en": "If you allow it, the kiosk will see:",
    },
    "device_wait": {
        "zh-CN": "输入错误的验证码次数过多，请 {seconds} 秒后再试。",
        "en": "Too many wrong codes. Please wait {seconds} seconds and try again.",
    },
    "device_done": {"zh-CN": "已完成，请回到终端继续操作。", "en": "Done. Please continue on the kiosk."},
    "device_denied": {"zh-CN": "已拒绝该设备的登录请求。", "en": "You refused the device's request."},
    "sessions_title": {"zh-CN": "我的登录会话", "en": "My sessions"},
    "session_current": {"zh-CN": "当前会话", "en": "this session"},
    "session_started": {"zh-CN": "登录时间", "en": "signed in"},
    "session_level": {"zh-CN": "认证级别", "en": "level"},
    "logout_session": {"zh-CN": "退出该会话", "en": "Log out this session"},
    "logout_everywhere": {"zh-CN": "退出所有设备", "en": "Log out everywhere"},
    "logout_title": {"zh-CN": "退出登录", "en": "Log out"},
    "logout_asked_by": {"zh-CN": "{client} 请求您退出登录。", "en": "{client} asks you to log out."},
    "logout_confirm": {"zh-CN": "确定要退出登录吗？", "en": "Do you want to log out?"},
    "logged_out": {"zh-CN": "您已退出登录。", "en": "You are logged out."},
    "register_title": {"zh-CN": "注册", "en": "Create an account"},
    "name": {"zh-CN": "姓名", "en": "Name"},
    "phone": {"zh-CN": "手机号码", "en": "Phone"},
    "password_rule": {
        "zh-CN": "至少 8 位，包含大写字母、小写字母、数字、符号中的三类",
        "en": "At least 8 characters from three of: upper case, lower case, digits, symbols",
    },
    "register_button": {"zh-CN": "注册", "en": "Create account"},
    "registered": {"zh-CN": "注册成功，请登录。", "en": "Your account is ready. Please sign in."},
    "reset_title": {"zh-CN": "重置密码", "en": "Reset password"},
    "reset_intro": {
        "zh-CN": "请输入窗口工作人员发放的一次性重置码，或身份验证器上的动态码。",
        "en": "Enter the one-time reset code from counter staff, or the code from your authenticator.",
    },
    "reset_code": {"zh-CN": "重置码或动态码", "en": "Reset code or one-time code"},
    "new_password": {"zh-CN": "新密码", "en": "New password"},
    "reset_button": {"zh-CN": "重置密码", "en": "Reset password"},
    "reset_failed": {
        "zh-CN": "证件号码或重置码不正确，或重置码已失效",
        "en": "The ID number or code is wrong, or the code has expired.",
    },
    "reset_done": {
        "zh-CN": "密码已重置，请使用新密码登录。",
        "en": "Your password was reset. Please sign in.",
    },
    "error_title": {"zh-CN": "无法完成请求", "en": "This request cannot be completed"},
    "error_back": {
        "zh-CN": "请返回原来的应用重新开始。如果问题持续，请联系该应用的管理员。",
        "en": "Please go back to the application and start again. "
        "If it keeps happening, contact its administrator.",
    },
    "csrf_failed": {
        "zh-CN": "页面已过期，请刷新后重试。",
        "en": "This page has expired. Please reload it and try again.",
    },
    "err_invalid_request": {
        "zh-CN": "登录请求不完整或有误（例如回调地址未登记）。",
        "en": "The sign-in request is incomplete or wrong (for example an unregistered return address).",
    },
    "err_invalid_client": {
        "zh-CN": "发起登录的应用未登记或已停用。",
        "en": "The application that sent you here is not registered or has been disabled.",
    },
    "err_unsupported_response_type": {
        "zh-CN": "不支持该登录方式。",
        "en": "This kind of sign-in request is not supported.",
    },
    "err_unauthorized_client": {
        "zh-CN": "该应用无权使用此登录方式。",
        "en": "This application may not use this kind of sign-in.",
    },
    "field_errors": {"zh-CN": "请修改以下内容：", "en": "Please correct the following:"},
    "login_required_page": {"zh-CN": "请先登录。", "en": "Please sign in first."},
    # Account defence (issue 14.5): progressive delays, account centre with TOTP enrolment.
    "delayed": {
        "zh-CN": "尝试次数过多，请稍后再试（{seconds} 秒后）。",
        "en": "Too many attempts. Please try again later (in {seconds} seconds).",
    },
    "account_title": {"zh-CN": "个人中心", "en": "My account"},
    "account_sessions_link": {"zh-CN": "我的登录会话", "en": "My sessions"},
    "account_agents_link": {"zh-CN": "企业经办人授权", "en": "Company agents"},
    "agents_title": {"zh-CN": "企业经办人授权", "en": "Company agents"},
    "agents_intro": {
        "zh-CN": "作为企业法定代表人，您可以授权已实名认证的人员代表企业办事，并可随时撤销。撤销后其代办登录立即失效。",
        "en": "As a company's legal representative you may authorise real-name verified people to act for it, "
        "and withdraw them at any time; a withdrawn agent's sign-ins for the company end at once.",
    },
    "agents_not_a_representative": {
        "zh-CN": "您不是任何企业的法定代表人，无需管理经办人。",
        "en": "You are not the legal representative of any company.",
    },
    "agents_empty": {"zh-CN": "尚未授权经办人。", "en": "No agents yet."},
    "agents_saved": {"zh-CN": "经办人授权已保存。", "en": "The agent's authorisation is saved."},
    "agents_withdrawn": {
        "zh-CN": "已撤销该经办人的授权，其代办登录已结束。",
        "en": "The agent is withdrawn; their sign-ins for the company have ended.",
    },
    "agent_name": {"zh-CN": "姓名", "en": "Name"},
    "agent_number": {"zh-CN": "经办人身份证号码", "en": "Agent's ID number"},
    "agent_scopes": {"zh-CN": "授权范围", "en": "May"},
    "agent_scope_read": {"zh-CN": "查看企业证照", "en": "see the company's licenses"},
    "agent_scope_apply": {"zh-CN": "代办事项申请", "en": "apply for services"},
    "agent_scope_share": {"zh-CN": "亮证与授权使用", "en": "show and share licenses"},
    "agent_scope_other": {"zh-CN": "其他", "en": "other"},
    "agent_until": {"zh-CN": "授权截止日期", "en": "Until"},
    "agent_no_end": {"zh-CN": "长期", "en": "no end date"},
    "agent_state": {"zh-CN": "状态", "en": "State"},
    "agent_active": {"zh-CN": "有效", "en": "in force"},
    "agent_ended": {"zh-CN": "已结束", "en": "ended"},
    "agent_withdraw": {"zh-CN": "撤销授权", "en": "Withdraw"},
    "agent_authorise": {"zh-CN": "授权", "en": "Authorise"},
    "agent_error_number": {
        "zh-CN": "经办人须为已完成实名认证的本平台用户，且不能是法定代表人本人。",
        "en": "The agent must be a real-name verified user of the platform other than you.",
    },
    "agent_error_scopes": {"zh-CN": "请至少选择一项授权范围。", "en": "Choose at least one thing the agent may do."},
    "agent_error_until": {
        "zh-CN": "授权截止日期须晚于今天，且不超过三年。",
        "en": "The end date must be after today and at most three years ahead.",
    },
    "agent_error_forbidden": {
        "zh-CN": "只有企业法定代表人可以管理经办人。",
        "en": "Only the company's legal representative manages its agents.",
    },
    "agent_error_missing": {"zh-CN": "没有找到该经办人。", "en": "No such agent."},
    "account_totp_on": {"zh-CN": "已绑定身份验证器（动态验证码）", "en": "Authenticator app (one-time codes) is on"},
    "account_totp_off": {"zh-CN": "未绑定身份验证器（动态验证码）", "en": "No authenticator app (one-time codes)"},
    "totp_enrol_link": {"zh-CN": "绑定身份验证器", "en": "Set up an authenticator app"},
    "totp_remove_link": {"zh-CN": "解除身份验证器", "en": "Remove the authenticator app"},
    "totp_enrol_title": {"zh-CN": "绑定身份验证器", "en": "Set up an authenticator app"},
    "totp_enrol_intro": {
        "zh-CN": "请用身份验证器 App 扫描二维码，或手动输入下面的密钥，然后输入 App 上显示的 6 位动态码确认。",
        "en": "Scan the QR code with your authenticator app or type in the key below, then enter the 6-digit "
        "code the app shows.",
    },
    "totp_qr_label": {"zh-CN": "身份验证器二维码", "en": "QR code for the authenticator app"},
    "totp_secret": {"zh-CN": "密钥", "en": "Key"},
    "totp_uri": {"zh-CN": "链接", "en": "Link"},
    "totp_enrol_button": {"zh-CN": "确认绑定", "en": "Turn on"},
    "totp_enrolled": {"zh-CN": "身份验证器已绑定。", "en": "Your authenticator app is set up."},
    "totp_already": {"zh-CN": "您已绑定身份验证器。", "en": "An authenticator app is already set up."},
    "totp_remove_title": {"zh-CN": "解除身份验证器", "en": "Remove the authenticator app"},
    "totp_remove_intro": {
        "zh-CN": "解除后将不能再用动态验证码登录或重置密码。请输入当前的动态验证码确认。",
        "en": "Afterwards one-time codes no longer work for sign-in or password reset. Enter the current code "
        "to confirm.",
    },
    "totp_remove_button": {"zh-CN": "解除绑定", "en": "Remove"},
    "totp_removed": {"zh-CN": "身份验证器已解除。", "en": "The authenticator app was removed."},
    "totp_none": {"zh-CN": "您尚未绑定身份验证器。", "en": "No authenticator app is set up."},
    "recent_login_required": {
        "zh-CN": "为保护您的账户，请重新登录后再进行此操作。",
        "en": "To protect your account, please sign in again before doing this.",
    },
}

# Field-rule messages (registration).
RULES: dict[str, dict[str, str]] = {
    "length": {"zh-CN": "长度不正确", "en": "has the wrong length"},
    "charset": {"zh-CN": "含有不允许的字符", "en": "contains characters that are not allowed"},
    "checksum": {"zh-CN": "校验位不正确", "en": "has a wrong check character"},
    "area": {"zh-CN": "地区代码不存在", "en": "has an unknown area code"},
    "birth_date": {"zh-CN": "出生日期不正确", "en": "has an impossible birth date"},
    "component": {"zh-CN": "某一部分不正确", "en": "has an invalid part"},
    "registered": {"zh-CN": "已注册", "en": "is already registered"},
    "too_short": {"zh-CN": "太短（至少 8 位）", "en": "is too short (at least 8 characters)"},
    "too_simple": {"zh-CN": "太简单", "en": "is too simple"},
    "format": {"zh-CN": "格式不正确", "en": "has the wrong format"},
    "required": {"zh-CN": "必填", "en": "is required"},
}


def translator(lang: str) -> i18n.Translator:
    """``t(key, **values)`` of the idp's texts in ``lang`` (falls back to zh-CN, then to the key)."""
    return i18n.translator(MESSAGES, lang)


def rule_text(rule: str | None, lang: str) -> str:
    """Human wording of a broken field rule."""
    return i18n.text(RULES.get(rule or "format", RULES["format"]), lang)
