"""`create_app(settings)`: the FastAPI app behind `kb serve` (search API, chat adapters, MCP, the docs site)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from mcp.server.mcpserver import MCPServer
from starlette.routing import Route

import kb

from . import problems
from .chatops.routes import router as chatops_router
from .mcp_server import add_runbook_resources, build_server
from .routes import health, library, match
from .settings import ApiSettings
from .state import LibraryState
from .watch import watch_runbooks

log = logging.getLogger("kb_api")

DESCRIPTION = """\
kb matches a pasted Istio/Envoy/Kubernetes error (logs, `curl -v`, access-log lines, events) or a typed symptom
to the runbook that explains and fixes it, deterministically and offline, and says why it matched.
Every error is an RFC 9457 `application/problem+json` body. MCP clients connect to `/mcp` (streamable HTTP).
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The whole server; the library loads in the background (`/readyz` is 503 until it has)."""
    settings = settings or ApiSettings()
    state = LibraryState(settings.library_settings())
    mcp = build_server(state)
    mcp_app = mcp.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True,
                                      transport_security=None, host="0.0.0.0")  # fmt: skip

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_first_load(state, mcp))]
        if settings.watch:
            swapped = lambda: add_runbook_resources(mcp, state)  # noqa: E731
            tasks.append(asyncio.create_task(watch_runbooks(state, stop, on_swap=swapped)))
        async with mcp.session_manager.run():
            yield
        stop.set()
        for task in tasks:
            task.cancel()

    app = FastAPI(title="kb", version=kb.__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.kb = state
    app.state.settings = settings
    problems.install(app, settings.max_body)
    for router in (health.router, library.router, match.router, chatops_router):
        app.include_router(router)
    app.router.routes.extend(r for r in mcp_app.routes if isinstance(r, Route))
    _mount_site(app, settings.site_dir)
    return app


async def _first_load(state: LibraryState, mcp: MCPServer) -> None:
    if state.library is None:  # a caller (a test, a tool) may have loaded it already
        await asyncio.to_thread(state.load)
    add_runbook_resources(mcp, state)


def _mount_site(app: FastAPI, site_dir: Path | None) -> None:
    """The built docs site at `/`, after every API route; without one, `/` leads to the API's own docs."""
    if site_dir is not None:
        app.mount("/", StaticFiles(directory=site_dir, html=True), name="site")
        return

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")


def app_from_env() -> FastAPI:
    """The app from `KB_*` variables alone: what each uvicorn worker process builds (`kb serve --workers N`)."""
    return create_app(ApiSettings())
