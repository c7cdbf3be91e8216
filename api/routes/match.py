"""`POST /v1/match`: a paste in, exactly what `kb match --json` prints out."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..deps import library
from ..models import EXAMPLE_PASTE, TEXT_PATTERN, MatchOut, MatchRequest, problems
from ..service import match_json, match_request

router = APIRouter(prefix="/v1", tags=["match"])
# Matching is CPU-bound (several ms for 2 KB, about half a second for 1 MiB). One matching thread per process
# takes pastes first come, first served, while the event loop keeps reading sockets and answering probes:
# matched on the loop itself, pastes from some connections waited behind others (p99 ~5-10x p50 under load).
MATCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-match")

BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": MatchRequest.model_json_schema(),
            "examples": {"access-log": {"summary": "a gateway access-log line", "value": {"text": EXAMPLE_PASTE}}},
        },
        "text/plain": {"schema": {"type": "string", "pattern": TEXT_PATTERN}, "example": EXAMPLE_PASTE},
    },
}


@router.post(
    "/match",
    response_model=MatchOut,
    summary="Rank the runbooks that explain a paste (JSON {text, limit} or a text/plain body)",
    openapi_extra={"requestBody": BODY},
    responses=problems(400, 413, 422, 503),
)
async def match(request: Request) -> JSONResponse:
    raw = await request.body()
    wanted = match_request(raw, request.headers.get("content-type", "application/json"))
    lib = library(request)
    report = await asyncio.get_running_loop().run_in_executor(MATCHER, match_json, lib, wanted.text, wanted.limit)
    return JSONResponse(report)
