"""The catalog: runbooks listed and shown, searched by words, and the mesh reference tables."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

import kb

from ..deps import library
from ..models import MAX_LIMIT, RunbookPage, SearchHit, problems
from ..service import runbook_json, runbook_row, search_rows

router = APIRouter(prefix="/v1", tags=["runbooks"])
Library = Annotated[kb.Library, Depends(library)]
EXAMPLE_ID = "subset-no-healthy-upstream"


@router.get("/runbooks", response_model=RunbookPage, summary="Runbooks, filtered and paginated",
            responses=problems(422, 503))  # fmt: skip
async def list_runbooks(
    lib: Library,
    component: Annotated[kb.Component | None, Query(examples=["gateway"])] = None,
    tag: Annotated[str | None, Query(max_length=40, examples=["mtls"])] = None,
    kind: Annotated[kb.RunbookKind | None, Query(examples=["incident"])] = None,
    severity: Annotated[kb.Severity | None, Query(examples=["high"])] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    selected = lib.catalog.select(component=component, tag=tag, kind=kind, severity=severity)
    items = [runbook_row(runbook) for runbook in selected[offset : offset + limit]]
    return JSONResponse({"total": len(selected), "offset": offset, "limit": limit, "items": items})


@router.get(
    "/runbooks/{runbook_id}",
    response_model=kb.Runbook,
    summary="One runbook as JSON, or as a markdown page with `Accept: text/markdown`",
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}, **problems(404, 503)},
)
async def get_runbook(
    request: Request, lib: Library, runbook_id: Annotated[str, Path(max_length=200, examples=[EXAMPLE_ID])]
) -> Response:
    if _wants_markdown(request.headers.get("accept", "")):
        page = kb.runbook_markdown(lib.catalog.get(runbook_id))
        return Response(page, media_type="text/markdown; charset=utf-8")
    return JSONResponse(runbook_json(lib, runbook_id))


def _wants_markdown(accept: str) -> bool:
    """True when text/markdown is asked for ahead of JSON (order of the Accept list; q-values are rare here)."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    markdown = kinds.index("text/markdown") if "text/markdown" in kinds else None
    json_at = kinds.index("application/json") if "application/json" in kinds else None
    return markdown is not None and (json_at is None or markdown < json_at)


@router.get("/search", response_model=list[SearchHit], summary="Runbooks for typed words, English or Chinese",
            responses=problems(422, 503))  # fmt: skip
async def search(
    lib: Library,
    q: Annotated[str, Query(min_length=1, max_length=2000, pattern=r"\S", examples=["sidecar 启动顺序"])],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> JSONResponse:
    if not q.strip():
        raise kb.UsageError("the query is empty")
    return JSONResponse(search_rows(lib, q, limit))


@router.get(
    "/reference/{section}",
    response_model=list[dict[str, Any]],
    summary="What Envoy response flags, response-code details or Istio ports mean, with their runbooks",
    responses=problems(422, 503),
)
async def reference(
    lib: Library, section: Annotated[Literal["flags", "details", "ports"], Path(examples=["flags"])]
) -> JSONResponse:
    return JSONResponse(kb.reference_table(lib.catalog, section))
