"""Static CSS and JavaScript of the web pages, served by a route (a router cannot ``mount``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}

router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico")
def favicon() -> Response:
    """The platform's icon (browsers ask for it on every page, the idp's included)."""
    return static_file("favicon.svg")


@router.get("/web/static/{name}")
def static_file(name: str) -> Response:
    """One file of ``channels/static`` (flat directory; nothing else is reachable)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in TYPES or not path.is_file():
        raise HTTPException(status_code=404)
    return Response(
        path.read_bytes(),
        media_type=TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
