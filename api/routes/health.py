"""Liveness and readiness, for Kubernetes probes and load balancers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..deps import state_of
from ..models import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The library is loaded: runbook count, content hash, index age",
    responses={503: {"model": Readiness, "description": "still loading, or the last reload failed (with why)"}},
)
async def readyz(request: Request) -> JSONResponse:
    ready, facts = state_of(request).readiness()
    return JSONResponse(facts, status_code=200 if ready else 503)
