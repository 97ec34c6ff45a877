"""Proofing simulator: a stand-alone stand-in for a national trusted-identity service (tests and the demo).

Run it as its own process; it never touches the platform's database::

    python -m idp.proofing.simulator --port 8700 --data tools/proofing-registry.json [--sms-file var/sms.log]

It holds a small "authority" registry (a JSON list of ``{name, id_number, phone[, level]}``), signs its
answers with an EC P-256 key generated at start (published at ``/jwks.json``), and "sends" SMS codes by
keeping them in an outbox that tests and the demo read at ``GET /sms/outbox?phone=…`` (and, with
``--sms-file``, appends them to that file). It speaks the wire format of ``idp/proofing/http.py``.
A check matches when name, resident ID and phone are one record of the registry (三要素) and the SMS code
typed is the one sent.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from joserfc.jwk import ECKey

from idp.proofing import answer

CODE_TTL = 300
MAX_CODE_ATTEMPTS = 3
MAX_BODY = 16 * 1024


@dataclass
class _Check:
    name: str
    id_number: str
    phone: str
    nonce: str
    code: str
    expires: float
    attempts: int = 0
    done: bool = False


@dataclass
class Simulator:
    """The simulator's state: registry, signing key, pending checks and the SMS outbox."""

    registry: list[dict[str, str]]
    issuer: str = ""
    sms_file: Path | None = None
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", parameters={"kid": secrets.token_hex(8)}))
    checks: dict[str, _Check] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def jwks(self) -> dict[str, Any]:
        """The public key set."""
        return {"keys": [self.key.as_dict(private=False) | {"use": "sig", "alg": "ES256"}]}

    def start(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /v1/checks: remember the check, send an SMS code to the phone."""
        fields = {k: body.get(k) for k in ("name", "id_number", "phone", "nonce")}
        if not all(isinstance(v, str) and 0 < len(v) <= 100 for v in fields.values()):
            return 400, {"error": "invalid_request", "detail": "name, id_number, phone and nonce are required"}
        code = f"{secrets.randbelow(10**6):06d}"
        transaction = secrets.token_urlsafe(18)
        message = {"phone": fields["phone"], "code": code, "sent_at": int(time.time()),
                   "text": f"【实名认证】您的验证码是 {code}，{CODE_TTL // 60} 分钟内有效。"}
        with self.lock:
            self.checks[transaction] = _Check(**fields, code=code, expires=time.time() + CODE_TTL)  # type: ignore[arg-type]
            self.outbox.append(message)
        if self.sms_file is not None:
            with self.sms_file.open("a", encoding="utf-8") as out:
                out.write(json.dumps(message, ensure_ascii=False) + "\n")
        return 201, {"transaction": transaction, "expires_in": CODE_TTL}

    def confirm(self, transaction: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /v1/checks/{transaction}/confirm: check the code, then the record; answer signed."""
        with self.lock:
            check = self.checks.get(transaction)
            if check is None or check.done:
                return 404, {"error": "not_found", "detail": "no such check"}
            if body.get("nonce") != check.nonce:
                return 400, {"error": "invalid_request", "detail": "nonce does not match the check"}
            if time.time() > check.expires:
                check.done = True
                return 200, {"answer": self._answer(transaction, check, match=False, reason="expired")}
            if not secrets.compare_digest(str(body.get("code", "")).encode(), check.code.encode()):
                check.attempts += 1
                if check.attempts < MAX_CODE_ATTEMPTS:
                    return 400, {"error": "wrong_code", "attempts_left": MAX_CODE_ATTEMPTS - check.attempts}
                check.done = True
                return 200, {"answer": self._answer(transaction, check, match=False, reason="code")}
            check.done = True
            record = self._record(check)
        if record is None:
            return 200, {"answer": self._answer(transaction, check, match=False, reason="record")}
        return 200, {"answer": self._answer(transaction, check, match=True, level=record.get("level", "substantial"))}

    def _record(self, check: _Check) -> dict[str, str] | None:
        for record in self.registry:
            if (record.get("id_number", "").upper() == check.id_number.upper() and record.get("name") == check.name
                    and record.get("phone") == check.phone):
                return record
        return None

    def _answer(self, transaction: str, check: _Check, *, match: bool, level: str | None = None,
                reason: str | None = None) -> str:
        claims = {"iss": self.issuer, "transaction": transaction, "nonce": check.nonce, "match": match,
                  "level": level, "checked_at": int(time.time()), "reason": reason}
        return answer.sign(claims, self.key)

    def sms_for(self, phone: str) -> list[dict[str, Any]]:
        """Messages sent to ``phone``, oldest first."""
        with self.lock:
            return [m for m in self.outbox if m["phone"] == phone]


def _handler(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ProofingSimulator/1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass  # quiet: the outbox holds codes, and tests read stderr

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            url = urlparse(self.path)
            if url.path == "/jwks.json":
                self._send(200, sim.jwks())
            elif url.path == "/healthz":
                self._send(200, {"status": "ok", "records": len(sim.registry)})
            elif url.path == "/sms/outbox":
                phone = parse_qs(url.query).get("phone", [""])[0]
                self._send(200, {"messages": sim.sms_for(phone)})
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self._send(400, {"error": "invalid_request", "detail": "a JSON body is required"})
                return
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self._send(400, {"error": "invalid_request", "detail": "the body must be a JSON object"})
                return
            parts = urlparse(self.path).path.strip("/").split("/")
            if parts == ["v1", "checks"]:
                self._send(*sim.start(body))
            elif len(parts) == 4 and parts[:2] == ["v1", "checks"] and parts[3] == "confirm":
                self._send(*sim.confirm(parts[2], body))
            else:
                self._send(404, {"error": "not_found"})

    return Handler


def serve(sim: Simulator, host: str, port: int) -> ThreadingHTTPServer:
    """A server for ``sim`` bound to host:port (not started); sets the simulator's issuer."""
    server = ThreadingHTTPServer((host, port), _handler(sim))
    sim.issuer = sim.issuer or f"http://{host}:{server.server_address[1]}"
    return server


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m idp.proofing.simulator``."""
    parser = argparse.ArgumentParser(prog="python -m idp.proofing.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--data", type=Path, required=True, help="JSON list of {name, id_number, phone[, level]}")
    parser.add_argument("--sms-file", type=Path, default=None, help="also append each SMS to this file")
    parser.add_argument("--issuer", default="", help="base URL in answers (default http://HOST:PORT)")
    args = parser.parse_args(argv)
    registry = json.loads(args.data.read_text(encoding="utf-8"))
    if not isinstance(registry, list):
        parser.error("--data must hold a JSON list of records")
    sim = Simulator(registry=registry, issuer=args.issuer.rstrip("/"), sms_file=args.sms_file)
    server = serve(sim, args.host, args.port)
    print(f"proofing simulator on {sim.issuer} ({len(registry)} records, key {sim.key.kid})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
