"""Liveness and readiness, for Kubernetes probes and load balancers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..deps import state_of
from ..models import Health, Readiness

router = APIRouter(tags=["health"])
READY_EXAMPLE = {"ready": True, "runbooks": 62, "content_hash": "e20ac7a7eccc8fdda26bf415", "index_age_seconds": 4.9,
                 "built_in_process": False, "reloads": 0}  # fmt: skip


@router.get("/healthz", response_model=Health, summary="The process is alive",
            responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})  # fmt: skip
async def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The library is loaded: runbook count, content hash, index age",
    responses={
        200: {"content": {"application/json": {"example": READY_EXAMPLE}}},
        503: {"model": Readiness, "description": "still loading, or the last reload failed (with why)"},
    },
)
async def readyz(request: Request) -> JSONResponse:
    ready, facts = state_of(request).readiness()
    return JSONResponse(facts, status_code=200 if ready else 503)
