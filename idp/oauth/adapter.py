"""FastAPI ↔ authlib glue: the only module that knows both.

The body is read asynchronously, the ``OAuth2Request`` built from it, and the grant run
synchronously in a worker thread with the request's own database session.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from authlib.oauth2.rfc6749 import InsecureTransportError, OAuth2Payload, OAuth2Request
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from core import groupcommit
from core.db import has_writes
from core.runtime import runtime_of
from core.settings import Settings
from idp.oauth import clients, grants
from idp.oauth.server import OneNumberServer
from idp.tokens import keyring_for

FORM_TYPE = "application/x-www-form-urlencoded"


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
        if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() == FORM_TYPE:
            # what every OAuth client sends (RFC 6749 §3.2): parsed directly, a fifth of the cost of
            # Starlette's general form parser
            body = await request.body()
            form_pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        else:
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
    """An authorization server for this request, with every grant and endpoint registered."""
    settings: Settings = runtime_of(request).settings
    server = OneNumberServer(session=session, settings=settings, keyring=keyring_for(runtime_of(request)))
    grants.register_all(server)
    return server


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
    request: Request,
    call: Callable[[OneNumberServer, StarletteOAuth2Request], tuple[int, Any, list[Any]]],
    *,
    inline_if: Callable[[Request, StarletteOAuth2Request], bool] | None = None,
) -> Response:
    """Build the request, run ``call(server, oauth_request)``, commit what it wrote on success, then write
    its log rows by group commit (:mod:`core.groupcommit`) before answering.

    The call runs in a worker thread, or on the event loop when ``inline_if`` says it will not touch the
    database (a cached client, no revocation reload due): a thread hop costs more than such a call.
    """
    settings: Settings = runtime_of(request).settings
    oauth_request = await build_request(request, settings)

    def work() -> tuple[tuple[int, Any, list[Any]], list[Any]]:
        with runtime_of(request).sessionmaker() as session:
            groupcommit.defer_rows(session)
            server = new_server(request, session)
            try:
                result = call(server, oauth_request)
            except BaseException:
                session.rollback()
                raise
            ok = result[0] < 400
            if ok and has_writes(session):
                # a transaction to commit anyway (refresh, code exchange): the queued log rows go into it
                # (core.groupcommit's before_commit hook), not into a transaction of their own
                session.commit()
            else:  # a failure, or read-only work (introspection, a cached client): nothing to commit
                session.rollback()
            deferred = groupcommit.take_deferred(session)
            return result, deferred if ok else []

    if inline_if is not None and inline_if(request, oauth_request):
        result, rows = work()
    else:
        result, rows = await run_in_threadpool(work)
    await runtime_of(request).get(groupcommit.WRITER).write(rows)
    return to_response(result)


def client_id_of(oauth_request: StarletteOAuth2Request) -> str | None:
    """The client id the request authenticates with (HTTP Basic or the form), without checking it."""
    auth = oauth_request.headers.get("Authorization") or ""
    if auth[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        return unquote(decoded.partition(":")[0])
    return oauth_request.form.get("client_id")


def client_is_cached(request: Request, oauth_request: StarletteOAuth2Request) -> bool:
    """True when the request's client row is in this process's cache (no query to authenticate it)."""
    client_id = client_id_of(oauth_request)
    return client_id is not None and clients.is_cached(runtime_of(request).engine, client_id)


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
