"""``/docs``, ``/redoc`` and ``/openapi.json``, with every file served by the service itself.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so they are blank on a box that
reaches only the VPN; the files come from the fastapi-offline package instead (FastAPI's
"self-hosting JavaScript and CSS for docs"). The pages need the token like every endpoint
(``MODEM_DOCS=protected``) unless configured ``open``; the assets are the public Swagger
UI and ReDoc bundles, open so that a browser, which sends no bearer header for a
``<script>``, can load them.
"""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from modem_service.deps import require_token
from modem_service.settings import DocsMode

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs-assets"
OPENAPI_URL = "/openapi.json"


def add_docs(app: FastAPI, mode: DocsMode) -> None:
    """Add the three documentation routes (none when ``mode`` is ``off``)."""
    if mode == "off":
        return
    dependencies = [] if mode == "open" else [Depends(require_token)]
    router = APIRouter(include_in_schema=False, dependencies=dependencies)

    @router.get(OPENAPI_URL)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/docs")
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{OPENAPI_URL}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        )

    @router.get("/redoc")
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{OPENAPI_URL}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
