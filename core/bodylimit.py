"""Request-body caps at the edge (issue 15): a body over its cap is refused with 413 before it is parsed.

Multipart uploads (materials, PDFs to verify) may carry ``upload_limit_bytes`` plus room for the multipart
envelope; every other body (JSON, urlencoded forms, ``/token``) at most ``body_limit_bytes``. A declared
``Content-Length`` over the cap is refused at once; a chunked body is counted as it arrives and refused as
soon as it passes the cap, so nothing beyond the cap is ever held in memory.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings

MULTIPART_ENVELOPE = 256 * 1024  # boundaries, part headers and the small form fields beside the file


def _detail(limit: int) -> str:
    return f"请求体超过上限 {limit} 字节 (request body over the {limit}-byte limit)"


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes its cap (an HTTP error: FastAPI lets it through
    its body parsing, and the app's handler answers 413 in the platform's error shape)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_detail(limit))


def _answer(limit: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    body = json.dumps({"error": "too_large", "detail": _detail(limit)}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    return body, headers


class BodyLimitMiddleware:
    """ASGI middleware enforcing the caps above on every HTTP request."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.body_limit = settings.body_limit_bytes
        self.upload_limit = settings.upload_limit_bytes + MULTIPART_ENVELOPE

    def limit_for(self, scope: Scope) -> int:
        """The cap for this request, by its declared content type."""
        for name, value in scope.get("headers", ()):
            if name == b"content-type":
                if value.split(b";", 1)[0].strip().lower() == b"multipart/form-data":
                    return self.upload_limit
                break
        return self.body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await self._refuse(send, limit)
                    return
                if declared >= 0:
                    # The server reads no more than the declared length: nothing to count (the hot
                    # token and verification paths pass through without a wrapped receive).
                    await self.app(scope, receive, send)
                    return
                break
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body, headers = _answer(limit)
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
