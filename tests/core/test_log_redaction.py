"""What the access log may print of a request path: no credentials, capabilities or ID numbers."""

from core.web.security import REDACTED, redact_path


def test_login_ticket_and_nested_return_paths_are_redacted() -> None:
    line = redact_path("/login?login_ticket=abc123&lang=zh-CN")
    assert "abc123" not in line and f"login_ticket={REDACTED}" in line and "lang=zh-CN" in line
    nested = redact_path("/login?next=/authorize?client_id=hall%26state=s3cr3t%26nonce=n0nce")
    assert "s3cr3t" not in nested and "n0nce" not in nested and "client_id%3Dhall" in nested
    assert "11010519491231002X" not in redact_path("/hall/x?q=11010519491231002X")
    assert redact_path("/healthz") == "/healthz"
