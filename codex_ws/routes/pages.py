"""The browser IDE at `/` and the teacher view at `/teacher`, served from static/ (no build)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


def page_response(path: Path) -> web.FileResponse:
    return web.FileResponse(
        path,
        headers={"Cache-Control": "no-cache", "Content-Type": "text/html; charset=utf-8"},
    )


def _page(name: str) -> Handler:
    async def serve(request: web.Request) -> web.FileResponse:
        return page_response(STATIC_DIR / name)

    return serve


async def _revalidate_static(request: web.Request, response: web.StreamResponse) -> None:
    # Pages import their modules by plain URLs: make browsers check for a newer file.
    if request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-cache")


def setup_routes(app: web.Application) -> None:
    app.on_response_prepare.append(_revalidate_static)
    app.router.add_get("/", _page("index.html"))
    app.router.add_get("/teacher", _page("teacher.html"))
    app.router.add_static("/static/", STATIC_DIR, append_version=True)
