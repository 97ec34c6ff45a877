"""The route class of every web page: package errors become a human page in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute

from channels.identity import LoginRequired
from channels.messages import MESSAGES
from channels.rendering import KIT, error_page
from core.web.i18n import EN
from idp.errors import IdpError
from signing.errors import SigningError
from storage import StorageError
from wallet.errors import WalletError

PackageError = (WalletError, IdpError, SigningError, StorageError)


def human_message(exc: BaseException, lang: str) -> str:
    """A sentence for people: the known codes are translated; others keep the package's own sentence."""
    t = KIT.translator(lang)
    code = str(getattr(exc, "code", "") or "")
    key = f"err_{code}"
    if key in MESSAGES:
        return t(key)
    detail = str(exc).strip()
    if lang == EN:
        return (detail[:1].upper() + detail[1:]) if detail else t("err_generic")
    return t("err_generic_detail", detail=detail) if detail else t("err_generic")


def login_path(channel: str, next_path: str) -> str:
    """Where a missing session sends the browser."""
    base = "/kiosk" if channel == "kiosk" else "/hall/login"
    return f"{base}?{urlencode({'next': next_path})}" if channel != "kiosk" else base


class PageRoute(APIRoute):
    """An ``APIRoute`` whose errors are pages, never JSON or a stack trace."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except LoginRequired as exc:
                return KIT.redirect(request, login_path(exc.channel, exc.next_path))
            except PackageError as exc:
                status = int(getattr(exc, "status_code", 400) or 400)
                return error_page(request, human_message(exc, KIT.lang_of(request)), status_code=status)
            except RequestValidationError:
                t = KIT.translator(KIT.lang_of(request))
                return error_page(request, t("err_bad_input"), status_code=422)
            except HTTPException as exc:
                t = KIT.translator(KIT.lang_of(request))
                key = "err_not_found" if exc.status_code == 404 else "err_generic"
                return error_page(request, t(key), status_code=exc.status_code)

        return handler
