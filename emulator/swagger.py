"""Swagger UI for the local stack: ``/api/v1/docs``, over the document at ``/api/v1/openapi.json``.

The local stack is offline, so the UI's assets come from a package (``swagger-ui-py``, a dev
dependency), never a CDN. Only the emulator serves this page: the deployed API has no ``/docs``
route (docs/decisions.md).
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from aiohttp import web

__all__ = ["DOCS_PATH", "add_docs_routes"]

DOCS_PATH = "/api/v1/docs"
DOCUMENT_PATH = "/api/v1/openapi.json"
ASSETS = Path(swagger_ui.__file__).parent / "static"

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Parley API</title>
<link rel="stylesheet" href="{DOCS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{DOCS_PATH}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "{DOCUMENT_PATH}", dom_id: "#swagger-ui",
  persistAuthorization: true}});
</script>
</body>
</html>
"""


async def _page(_request: web.Request) -> web.Response:
    return web.Response(text=_PAGE, content_type="text/html")


async def _asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    candidate = (ASSETS / name).resolve()
    if candidate.parent != ASSETS.resolve() or not candidate.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(candidate)


def add_docs_routes(app: web.Application) -> None:
    """The page and its assets, before the catch-all route that serves the API and the UI."""
    app.router.add_get(DOCS_PATH, _page)
    app.router.add_get(DOCS_PATH + "/{name}", _asset)
