"""Verification reports: one per signature and an overall verdict, with reasons in zh-CN and English."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

# code → (zh-CN, English); "{…}" placeholders are filled from details
REASONS: dict[str, tuple[str, str]] = {
    "empty_file": ("文件为空。", "The file is empty."),
    "not_pdf": ("文件不是 PDF。", "The file is not a PDF."),
    "malformed_pdf": ("PDF 文件结构损坏，无法解析。", "The PDF is damaged and cannot be parsed."),
    "encrypted_pdf": ("PDF 已加密，无法核验。", "The PDF is encrypted and cannot be verified."),
    "no_signature": ("文件中没有电子签章。", "The document carries no signature."),
    "no_department_seal": (
        "文件中没有有效的部门电子印章。",
        "The document carries no valid department seal.",
    ),
    "signature_unreadable": ("签名数据损坏，无法读取。", "The signature data is damaged and cannot be read."),
    "content_changed": (
        "签章后文档内容被改动（摘要不符）。",
        "The signed content was changed after signing (digest mismatch).",
    ),
    "signature_invalid": ("签名值无效。", "The signature value is invalid."),
    "outside_certificate": (
        "签名证书不是本平台签发的。",
        "The signing certificate was not issued by the platform.",
    ),
    "untrusted_chain": (
        "签名证书无法链接到平台根证书（{detail}）。",
        "The signing certificate does not chain to the platform root ({detail}).",
    ),
    "certificate_revoked": (
        "签章证书在签名时已被吊销（吊销时间 {revoked_at}）。",
        "The signing certificate was revoked before the signing time (revoked {revoked_at}).",
    ),
    "timestamp_invalid": ("时间戳无效或不可信。", "The timestamp is invalid or not trusted."),
    "modified_after_signing": (
        "签章后文档被修改（{level}），修改不被允许。",
        "The document was modified after signing ({level}); that is not allowed.",
    ),
    "verification_timeout": (
        "核验超时（超过 {seconds} 秒），文件过于复杂或已损坏，无法判定。",
        "Verification took longer than {seconds} s; the file is too complex or damaged to be judged.",
    ),
    "verification_failed": (
        "核验过程异常中止，无法判定该文件。",
        "The verification stopped abnormally; the file could not be judged.",
    ),
}


def reason(code: str, **details: Any) -> tuple[str, str, str]:
    """(code, zh, en) for a reason code."""
    zh, en = REASONS[code]
    return code, zh.format(**details), en.format(**details)


@dataclass(frozen=True)
class SignatureReport:
    """What was found about one signature (or document timestamp) in the file."""

    field: str
    kind: str  # seal | approver | document_timestamp | other
    valid: bool
    signer: str | None = None
    department_name: str | None = None
    department_code: str | None = None
    serial: str | None = None
    intact: bool = False
    chain_ok: bool = False
    signing_time: str | None = None  # self-reported by the signer (ISO 8601)
    timestamp: str | None = None  # from the trusted timestamp token (ISO 8601)
    timestamp_ok: bool | None = None
    covers_whole_file: bool = False
    modification_level: str | None = None
    modifications_ok: bool | None = None
    certified: bool = False
    revoked: bool = False
    revoked_at: str | None = None
    reason_codes: list[str] = dc_field(default_factory=list)
    reasons_zh: list[str] = dc_field(default_factory=list)
    reasons_en: list[str] = dc_field(default_factory=list)


@dataclass(frozen=True)
class VerificationReport:
    """The verdict on a file: valid only when every signature is valid and a department seal is present."""

    valid: bool
    reasons_zh: list[str]
    reasons_en: list[str]
    signatures: list[SignatureReport]
    sha256: str
    reason_codes: list[str] = dc_field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def invalid(sha256: str, code: str, **details: Any) -> VerificationReport:
    """A report for a file that could not be examined at all."""
    c, zh, en = reason(code, **details)
    return VerificationReport(
        valid=False, reasons_zh=[zh], reasons_en=[en], signatures=[], sha256=sha256, reason_codes=[c]
    )
