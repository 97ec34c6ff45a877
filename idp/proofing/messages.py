"""Texts of the 实名认证 pages, zh-CN first, English second: part of the idp pages' catalog (idp/web/pages.py
adds them to idp/i18n.py's), so the templates in ``templates/`` render with the idp's page kit.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "proofing_title": {"zh-CN": "实名认证", "en": "Real-name verification"},
    "level": {"zh-CN": "认证等级", "en": "Assurance level"},
    "level_low": {"zh-CN": "低（自述身份，未实名认证）", "en": "low (self-asserted, not verified)"},
    "level_substantial": {"zh-CN": "较高（已实名认证）", "en": "substantial (real-name verified)"},
    "level_high": {"zh-CN": "高（线下核验或活体认证）", "en": "high (checked in person or with liveness)"},
    "intro": {
        "zh-CN": "我们将通过权威身份认证服务核验您的姓名、身份证号码和本人手机号码，并向该手机发送短信验证码。",
        "en": "We check your name, ID number and your own phone number with the trusted identity service, "
        "which sends a text message code to that phone.",
    },
    "not_configured": {
        "zh-CN": "本平台尚未配置实名认证服务，暂时无法进行实名认证；您的账户保持“低”等级。",
        "en": "Real-name verification is not configured on this platform; your account stays at level low.",
    },
    "unavailable": {
        "zh-CN": "实名认证服务暂时不可用，请稍后再试。",
        "en": "The real-name verification service is unavailable right now. Please try again later.",
    },
    "already": {"zh-CN": "您已完成实名认证。", "en": "Your identity is already verified."},
    "send_code": {"zh-CN": "发送短信验证码", "en": "Send code"},
    "code_sent": {
        "zh-CN": "验证码已发送至手机 {phone}，5 分钟内有效。",
        "en": "A code was sent to {phone}; it is valid for 5 minutes.",
    },
    "sms_code": {"zh-CN": "短信验证码", "en": "Code from the text message"},
    "confirm": {"zh-CN": "提交认证", "en": "Verify"},
    "wrong_code": {
        "zh-CN": "验证码不正确，还可再试 {left} 次。",
        "en": "The code is wrong; {left} more tries.",
    },
    "matched": {
        "zh-CN": "实名认证成功，您的认证等级已提升为“较高”。",
        "en": "Your identity is verified; your assurance level is now substantial.",
    },
    "no_match": {
        "zh-CN": "实名认证未通过：姓名、身份证号码与手机号码不一致，或验证码错误。认证等级未改变。",
        "en": "Verification failed: name, ID number and phone do not match, or the code was wrong. Your level is unchanged.",
    },
    "refused": {
        "zh-CN": "认证服务的应答未通过签名校验，已拒绝；认证等级未改变。",
        "en": "The verification answer failed its signature check and was refused; your level is unchanged.",
    },
    "expired": {
        "zh-CN": "这次认证已过期或不存在，请重新发送验证码。",
        "en": "This verification has expired or does not exist; please send a new code.",
    },
    "too_many": {
        "zh-CN": "该证件号码今天的实名认证次数已达上限，请明天再试。",
        "en": "Too many verifications for this ID number today; please try again tomorrow.",
    },
    "registered_low": {
        "zh-CN": "注册成功。您的账户目前为“低”等级（自述身份），查看电子证照等服务需先完成实名认证。",
        "en": "Your account is ready. It is at level low (self-asserted); licenses and other services need "
        "real-name verification first.",
    },
    "start_proofing": {"zh-CN": "登录并进行实名认证", "en": "Sign in and verify your identity"},
    "to_login": {"zh-CN": "登录", "en": "Sign in"},
    "to_account": {"zh-CN": "返回我的账户", "en": "Back to my account"},
}
