"""kb for AI assistants: an MCP server (the official SDK) with the API's data as tools and runbooks as resources.

Served over streamable HTTP inside the API app at `/mcp`, and over stdio by `kb mcp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resources import FunctionResource
from pydantic import Field

import kb

from .models import MAX_LIMIT
from .service import checked_text, match_json, runbook_json, search_rows
from .state import LibraryState

INSTRUCTIONS = (
    "kb is a deterministic, offline runbook library for Istio/Envoy/Kubernetes service-mesh incidents. "
    "Give match_error the raw text the user has (istio-proxy or istiod logs, an Envoy access-log line, curl -v "
    "output, kubectl describe events): it returns the runbooks that explain it, each with a confidence, the "
    "evidence (signatures and line numbers) and the first diagnosis and fix commands with values from the paste "
    "filled in. Trust high and medium answers; low means no runbook is known to fit. Use search_runbooks for "
    "typed words (English or Chinese) and get_runbook for a whole runbook."
)
T = TypeVar("T")
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]


def build_server(state: LibraryState) -> MCPServer:
    """The MCP server over the library `state` holds now (a hot reload is seen by the next call)."""
    server: MCPServer = MCPServer("kb", instructions=INSTRUCTIONS, version=kb.__version__,
                                  warn_on_duplicate_resources=False, log_level="WARNING")  # fmt: skip

    @server.tool()
    def match_error(text: str, limit: Limit = kb.DEFAULT_LIMIT) -> dict[str, Any]:
        """Rank the runbooks that explain a pasted error (logs, curl -v, access logs, events), with evidence."""
        return _call(lambda: match_json(state.current(), checked_text(text), limit))

    @server.tool()
    def search_runbooks(query: str, limit: Limit = 10) -> list[dict[str, Any]]:
        """Find runbooks by words, English or Chinese (e.g. "sidecar startup order" or "子集 503")."""
        if not query.strip():
            raise ToolError("the query is empty")
        return _call(lambda: search_rows(state.current(), query, limit))

    @server.tool()
    def get_runbook(id: str) -> dict[str, Any]:
        """One whole runbook as JSON: cause, diagnosis, fix (commands and manifests), references."""
        return _call(lambda: runbook_json(state.current(), id))

    add_runbook_resources(server, state)
    return server


def add_runbook_resources(server: MCPServer, state: LibraryState) -> None:
    """Each runbook of the current library as a markdown resource `kb://runbooks/<id>`."""
    library = state.library
    for runbook in library.catalog if library else ():
        server.add_resource(FunctionResource.from_function(
            _reader(state, runbook.id), uri=f"kb://runbooks/{runbook.id}", name=runbook.id,
            title=runbook.title, description=runbook.summary, mime_type="text/markdown",
        ))  # fmt: skip


def _reader(state: LibraryState, runbook_id: str) -> Callable[[], str]:
    return lambda: kb.runbook_markdown(state.current().catalog.get(runbook_id))


def _call(work: Callable[[], T]) -> T:
    """kb's errors reach the assistant as tool errors with kb's message (an unknown id names the closest ones)."""
    try:
        return work()
    except kb.KBError as exc:
        raise ToolError(exc.message) from None


def run_stdio(state: LibraryState) -> None:
    """`kb mcp`: serve the loaded library to one assistant over stdin/stdout."""
    build_server(state).run("stdio")
