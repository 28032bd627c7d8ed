"""Share links: `POST /api/snippets` keeps a copy of some code, `GET /api/snippets/{id}` reads
it, and `GET /s/{id}` opens the IDE with it."""

from __future__ import annotations

from aiohttp import web

from sandbox import check_run

from ..domain.snippets import Snippet
from ..errors import Code, ServiceError
from ..web import body
from ..web.auth import optional_identity
from ..web.keys import SETTINGS, SNIPPETS
from ..web.run_request import RunServices, caller_of
from ..web.shapes import snippet_json
from .pages import STATIC_DIR, page_response


async def create_snippet(request: web.Request) -> web.Response:
    data = await body.json_object(request)
    identity = optional_identity(request)
    engine = RunServices.of(request.app).engine
    # The same checks as a run's: a language offered, code within its cap, no NUL.
    checked = check_run(
        engine.languages,
        engine.policy,
        body.string(data, "language", max_length=64),
        body.string(data, "code"),
    )
    caller = caller_of(request, identity)
    await RunServices.of(request.app).admission.count_snippet(
        caller.quota.key, request.app[SETTINGS].snippets_per_minute
    )
    snippet = await request.app[SNIPPETS].create(
        checked.spec.id, checked.code, caller.user_id, request.remote
    )
    return web.json_response(_shown(request, snippet), status=201)


async def show_snippet(request: web.Request) -> web.Response:
    snippet = await request.app[SNIPPETS].find(request.match_info["id"])
    if snippet is None:
        raise ServiceError(Code.NOT_FOUND, "No such share link: ask for a new one")
    return web.json_response(_shown(request, snippet))


async def open_snippet(request: web.Request) -> web.FileResponse:
    """The IDE, which loads the snippet itself (and says so when there is none)."""
    return page_response(STATIC_DIR / "index.html")


def _shown(request: web.Request, snippet: Snippet) -> dict[str, object]:
    return snippet_json(
        snippet, str(request.url.origin().join(request.url.with_path(snippet.path)))
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/snippets", create_snippet)
    app.router.add_get("/api/snippets/{id}", show_snippet)
    app.router.add_get("/s/{id}", open_snippet)
