"""FastAPI ↔ authlib glue: the only module that knows both.

The body is read asynchronously, the ``OAuth2Request`` built from it, and the grant run
synchronously in a worker thread with the request's own database session.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import InsecureTransportError, OAuth2Payload, OAuth2Request
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from idp.oauth.server import OneNumberServer
from idp.tokens import keyring_for
from onenumber.db import has_writes
from onenumber.settings import Settings


class DictPayload(OAuth2Payload):  # type: ignore[misc]
    """Query and form parameters of a request (form wins), with every value kept for duplicates."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {key: values[-1] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """An ``OAuth2Request`` from already-read Starlette data."""

    def __init__(
        self,
        *,
        method: str,
        uri: str,
        headers: Any,
        args: dict[str, str],
        form: dict[str, str],
        pairs: list[tuple[str, str]],
        secure_required: bool,
    ) -> None:
        if secure_required:
            InsecureTransportError.check(uri)
        # Not calling super().__init__: it insists on https even for the loopback development issuer.
        self.method, self.uri, self.headers, self._body = method, uri, headers, None
        self.payload = DictPayload(pairs)
        self.client = self.auth_method = self.user = None
        self.authorization_code = self.refresh_token = self.credential = None
        self._scope = None
        self._args, self._form = args, form

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def build_request(request: Request, settings: Settings) -> StarletteOAuth2Request:
    """Read the body (asynchronously) and build the authlib request."""
    query = list(request.query_params.multi_items())
    form_pairs: list[tuple[str, str]] = []
    if request.method == "POST":
        form = await request.form()
        form_pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return StarletteOAuth2Request(
        method=request.method,
        uri=str(request.url),
        headers=request.headers,
        args=dict(query),
        form=dict(form_pairs),
        pairs=query + form_pairs,
        secure_required=not settings.is_development,
    )


def new_server(request: Request, session: Session) -> OneNumberServer:
    """An authorization server for this request."""
    settings: Settings = request.app.state.settings
    return OneNumberServer(
        session=session, settings=settings, keyring=keyring_for(request.app.state, settings)
    )


def to_response(result: tuple[int, Any, list[tuple[str, str]]]) -> Response:
    """authlib's ``(status, body, headers)`` as a Starlette response."""
    status, body, headers = result
    headers_dict = dict(headers)
    if isinstance(body, dict):
        headers_dict.pop("Content-Type", None)
        return JSONResponse(body, status_code=status, headers=headers_dict)
    if isinstance(body, str) and body.startswith("{"):
        headers_dict.pop("Content-Type", None)
        return JSONResponse(json.loads(body), status_code=status, headers=headers_dict)
    return Response(body or "", status_code=status, headers=headers_dict)


async def run_endpoint(
    request: Request, call: Callable[[OneNumberServer, StarletteOAuth2Request], tuple[int, Any, list[Any]]]
) -> Response:
    """Build the request, run ``call(server, oauth_request)`` in a thread, commit what it wrote on success."""
    settings: Settings = request.app.state.settings
    oauth_request = await build_request(request, settings)

    def work() -> tuple[int, Any, list[Any]]:
        with request.app.state.sessionmaker() as session:
            server = new_server(request, session)
            try:
                result = call(server, oauth_request)
            except BaseException:
                session.rollback()
                raise
            if result[0] < 400 and has_writes(session):
                session.commit()
            else:  # a failure, or read-only work (introspection, a cached client): nothing to commit
                session.rollback()
            return result

    return to_response(await run_in_threadpool(work))


def request_from_query(query: str, settings: Settings) -> StarletteOAuth2Request:
    """Rebuild an authorization request from its saved query string (after login or consent)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return StarletteOAuth2Request(
        method="GET",
        uri=f"{settings.issuer}/authorize?{query}",
        headers={},
        args=dict(pairs),
        form={},
        pairs=pairs,
        secure_required=not settings.is_development,
    )
