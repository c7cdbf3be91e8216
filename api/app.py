"""`create_app(settings)`: the FastAPI app behind `kb serve` (search API, chat adapters, MCP, the docs site)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from mcp.server.mcpserver import MCPServer
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import kb

from . import problems
from .builds import follow_builds, published
from .chatops.delivery import Outbox
from .chatops.routes import router as chatops_router
from .mcp_server import add_runbook_resources, build_server
from .models import ProblemOut
from .problems import PROBLEM_TYPE
from .routes import health, library, match
from .settings import ApiSettings
from .state import LibraryState
from .watch import watch_runbooks

log = logging.getLogger("kb_api")
STARTUP_WAIT_SECONDS = 15

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
    mcp_endpoint = _McpEndpoint()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        builds = settings.build_file if settings.watch else None
        tasks = [asyncio.create_task(_first_load(state, mcp, builds, site))]
        # A worker that answered before its library opened would send 503s its siblings would not; opening the
        # prebuilt cache takes well under a second, so wait for it before accepting connections (a build with
        # no cache may take longer: then serve at once, with /readyz 503 until it is done).
        await asyncio.wait(tasks, timeout=STARTUP_WAIT_SECONDS)
        swapped = lambda: add_runbook_resources(mcp, state)  # noqa: E731
        if builds is not None:  # `kb serve --watch`: its supervisor builds, this worker follows
            tasks.append(asyncio.create_task(follow_builds(state, builds, site, stop, on_swap=swapped)))
        elif settings.watch:  # an app served some other way watches and builds on its own
            tasks.append(asyncio.create_task(watch_runbooks(state, stop, on_swap=swapped)))
        # The SDK's session manager runs once per instance, so each app start gets a new one.
        mcp_app = mcp.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True,
                                          transport_security=None, host="0.0.0.0")  # fmt: skip
        mcp_endpoint.app = next(route.app for route in mcp_app.routes if isinstance(route, Route))
        async with mcp.session_manager.run():
            yield
        mcp_endpoint.app = None
        stop.set()
        for task in tasks:
            task.cancel()

    app = FastAPI(title="kb", version=kb.__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.kb = state
    app.state.settings = settings
    app.state.outbox = Outbox(settings)
    problems.install(app, settings.max_body)
    for router in (health.router, library.router, match.router, chatops_router):
        app.include_router(router)
    app.router.routes.append(Route("/mcp", endpoint=mcp_endpoint))
    site = _mount_site(app, settings.site_dir)
    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """In the OpenAPI document, every 4xx/5xx response is the one problem body, as the handlers send it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        document["components"]["schemas"]["Problem"] = ProblemOut.model_json_schema()
        problem_content = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in document["paths"].values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if status[0] in "45":
                        response["content"] = problem_content
        for unused in ("HTTPValidationError", "ValidationError"):
            document["components"]["schemas"].pop(unused, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


async def _first_load(state: LibraryState, mcp: MCPServer, builds: Path | None, site: SiteFiles | None) -> None:
    build = published(builds) if builds is not None else None
    if build is not None:  # what the supervisor built, even if the runbooks changed since
        await asyncio.to_thread(state.adopt, build)
        if site is not None:
            site.serve(build.site_dir)
    elif state.library is None:  # a caller (a test, a tool) may have loaded it already
        await asyncio.to_thread(state.load)
    add_runbook_resources(mcp, state)


class _McpEndpoint:
    """`/mcp`: hands each request to the MCP SDK's streamable HTTP handler of the running app."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            await problems.problem(503, "the MCP server is not running", scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)


class SiteFiles:
    """The built docs site, swapped for a rebuilt one at once; a request keeps the files it started with."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = StaticFiles(directory=directory, html=True)

    def serve(self, directory: str | None) -> None:
        if directory and Path(directory) != self.directory and Path(directory).is_dir():
            self.files, self.directory = StaticFiles(directory=directory, html=True), Path(directory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.files(scope, receive, send)


def _mount_site(app: FastAPI, site_dir: Path | None) -> SiteFiles | None:
    """The built docs site at `/`, after every API route; without one, `/` leads to the API's own docs."""
    if site_dir is not None:
        site = SiteFiles(site_dir)
        app.mount("/", site, name="site")
        return site

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    return None


def app_from_env() -> FastAPI:
    """The app from `KB_*` variables alone: what each uvicorn worker process builds (`kb serve --workers N`)."""
    return create_app(ApiSettings())
