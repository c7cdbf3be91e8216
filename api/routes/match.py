"""`POST /v1/match`: a paste in, exactly what `kb match --json` prints out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..deps import library
from ..models import EXAMPLE_PASTE, TEXT_PATTERN, MatchOut, MatchRequest, problems
from ..service import match_json, match_request

router = APIRouter(prefix="/v1", tags=["match"])
# A paste up to this size is matched on the event loop (a few ms, cheaper than a thread hop); a larger one,
# up to half a second for 1 MiB, goes to a thread so health probes keep answering.
INLINE_BYTES = 64 * 1024

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
    if len(raw) <= INLINE_BYTES:
        return JSONResponse(match_json(lib, wanted.text, wanted.limit))
    return JSONResponse(await run_in_threadpool(match_json, lib, wanted.text, wanted.limit))
