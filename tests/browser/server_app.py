"""App factory of the browser tests' uvicorn server: the platform app plus what the lead has not wired yet.

Everything added here is the real code of its package (no stand-ins); once ``onenumber.app`` and
``wallet.router`` include it, each step below becomes a no-op.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import NoMatchFound


def _has(app: FastAPI, name: str) -> bool:
    try:
        app.url_path_for(name)
    except NoMatchFound:
        return False
    return True


def create() -> FastAPI:
    """The platform app with the token verifier, the applications API and the web pages."""
    from onenumber.app import create_app

    app = create_app()
    if getattr(app.state, "token_verifier", None) is None:
        from idp.tokens import make_token_verifier

        app.state.token_verifier = make_token_verifier(app.state, app.state.settings)
    if not _has(app, "my_applications"):
        from wallet.applications.router import router as applications_router

        app.include_router(applications_router)
    if not _has(app, "list_items"):
        from wallet.services.router import router as services_router

        app.include_router(services_router)
    if not _has(app, "hall_login"):
        from wallet.web import router as web_router

        # The web router's pages take precedence over an older HTML /verify page in wallet.licenses.
        app.router.routes.insert(0, _first(web_router, app))
    return app


def _first(router: object, app: FastAPI) -> object:
    app.include_router(router)  # type: ignore[arg-type]
    return app.router.routes.pop()
