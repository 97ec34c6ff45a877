"""JSON log lines (core/logs.py): one object a line with the request id, still redacted; and a real
``onenumber serve`` writing nothing else."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import httpx

from core.logs import REQUEST_ID, JsonFormatter, log_config, request_id_for, with_request_id
from core.settings import Settings
from core.web.security import install_log_redaction
from tests.helpers.ops_helpers import Instance, drop_database, new_database, stop

ID_NUMBER = "11010519491231002X"
SECRET = "s3cr3t-client-secret-value"


def _format(logger: str, message: str, *args: object, exc: BaseException | None = None) -> dict[str, object]:
    install_log_redaction()  # what the app factory installs: records are scrubbed when made
    record = logging.getLogger(logger).makeRecord(
        logger, logging.WARNING, __file__, 1, message, args,
        (type(exc), exc, exc.__traceback__) if exc is not None else None,
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_a_record_is_one_json_object_with_the_request_id() -> None:
    outside = _format("onenumber", "plain %s", "text")
    assert outside["message"] == "plain text" and outside["level"] == "WARNING" and outside["logger"] == "onenumber"
    assert "request_id" not in outside and str(outside["time"]).endswith("+00:00")
    reset = REQUEST_ID.set("req-1")
    try:
        inside = _format("idp", "multi\nline")
        assert inside["request_id"] == "req-1" and inside["message"] == "multi\nline"
        assert with_request_id({"a": 1}) == {"a": 1, "request_id": "req-1"}
    finally:
        REQUEST_ID.reset(reset)
    assert with_request_id({"a": 1}) == {"a": 1}


def test_redaction_applies_to_json_lines_and_their_tracebacks() -> None:
    try:
        raise ValueError(f"bad number {ID_NUMBER} with client_secret={SECRET}")
    except ValueError as exc:
        entry = _format("wallet", "lookup of %s password=%s failed", ID_NUMBER, SECRET, exc=exc)
    text = json.dumps(entry)
    assert ID_NUMBER not in text and SECRET not in text
    assert "1101**********002X" in str(entry["message"]) and "ValueError" in str(entry["exception"])


def test_the_access_log_filter_redacts_before_json() -> None:
    install_log_redaction()
    logger = logging.getLogger("uvicorn.access")
    record = logger.makeRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("1.2.3.4:5", "GET", f"/verify?id={ID_NUMBER}&code={SECRET}", "1.1", 200), None)
    assert all(f.filter(record) for f in logger.filters)
    line = JsonFormatter().format(record)
    assert ID_NUMBER not in line and SECRET not in line and "/verify?id=" in line


def test_request_ids_accepted_and_refused() -> None:
    assert request_id_for(b"abc-DEF_1.2") == "abc-DEF_1.2"
    for hostile in (b"", b"a" * 65, b"a b", b"x\"}", "中".encode(), ID_NUMBER.encode(), b"\xff", None):
        made = request_id_for(hostile)
        assert re.fullmatch(r"[0-9a-f]{32}", made), hostile


def test_log_format_defaults_by_environment() -> None:
    assert not Settings(env="development").log_json
    assert Settings(env="development", log_format="json").log_json
    assert not Settings(env="production", secret_key="x" * 40, s3_secret_key="y", issuer="https://a.example",
                        log_format="text").log_json
    assert Settings(env="production", secret_key="x" * 40, s3_secret_key="y", issuer="https://a.example").log_json
    config = log_config(json_lines=True)
    assert {h["formatter"] for h in config["handlers"].values()} == {"json"}
    assert config["root"]["handlers"] == ["default"]


def test_served_json_logs_parse_carry_request_ids_and_leak_nothing(tmp_path: Path) -> None:
    instance = Instance(database_url=new_database(tmp_path), blob_dir=tmp_path / "blobs",
                        secret_key="json-logs-master-key-0123456789abcdef")
    log = tmp_path / "server.log"
    try:
        instance.cli("db", "upgrade")
        server = instance.serve(log, ready_timeout=120, ONENUMBER_LOG_FORMAT="json")
        try:
            with httpx.Client(base_url=instance.url, timeout=30) as http:
                page = http.get("/login", headers={"X-Request-ID": "login-page-1"})
                assert page.headers["x-request-id"] == "login-page-1"
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
                assert csrf
                failed = http.post("/login", data={"csrf": csrf.group(1), "number": ID_NUMBER, "password": SECRET})
                assert failed.status_code == 401
                http.get(f"/verify?id={ID_NUMBER}")
                http.get(f"/hall/callback?code={SECRET}&state=x")
                http.get(f"/api/licenses/{ID_NUMBER}", headers={"X-Request-ID": ID_NUMBER})
                http.post("/token", data={"grant_type": "client_credentials", "client_id": "x",
                                          "client_secret": SECRET})
        finally:
            stop(server)
        text = log.read_text(encoding="utf-8")
    finally:
        drop_database(instance.database_url)
    lines = text.splitlines()
    assert lines, "the server logged nothing"
    entries = []
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= entry.keys(), line
        entries.append(entry)
    access = [e for e in entries if e["logger"] == "uvicorn.access"]
    assert len(access) >= 6 and all(e.get("request_id") for e in access), access
    assert any(e["request_id"] == "login-page-1" and "GET /login" in e["message"] for e in access)
    assert any(e["logger"].startswith("uvicorn") and e["logger"] != "uvicorn.access" for e in entries)
    assert ID_NUMBER not in text and SECRET not in text
