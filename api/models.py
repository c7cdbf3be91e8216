"""Request and response shapes, for validation and for the OpenAPI document (responses are kb's own JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kb import DEFAULT_LIMIT

MAX_LIMIT = 50
# Something to match: at least one visible character and no NUL byte (kb refuses binary input).
TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
# A real gateway access-log line (the README's example), used in every example below.
EXAMPLE_PASTE = (
    '[2024-11-22T07:19:31.472Z] "GET / HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl/7.74.0" '
    '"19603cb9" "node-service" "-" outbound|80|v1|node-service.default.svc.cluster.local'
)


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": EXAMPLE_PASTE, "limit": 3}]})

    text: str = Field(
        min_length=1, pattern=TEXT_PATTERN, description="the paste: logs, curl -v output, events, or a typed symptom"
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="results to return")


class EvidenceOut(BaseModel):
    signature: str = Field(description="the signature that held, or `text` for the words the index matched")
    weight: float
    matched: list[str]
    lines: list[int] = []
    note: str | None = None


class ResultOut(BaseModel):
    id: str
    title: str
    score: float
    confidence: str = Field(description="high, medium or low")
    evidence: list[EvidenceOut]
    summary: str
    commands: dict[str, list[str]] = Field(description="first diagnosis and fix commands, placeholders filled")


class SignalOut(BaseModel):
    kind: str
    value: str
    line: int


class MatchOut(BaseModel):
    """Exactly what `kb match --json` prints."""

    confident: bool
    results: list[ResultOut]
    signals: list[SignalOut]
    entities: dict[str, str]


class RunbookRow(BaseModel):
    id: str
    kind: str
    title: str
    title_zh: str | None = None
    summary: str
    severity: str
    components: list[str]
    tags: list[str]


class RunbookPage(BaseModel):
    total: int = Field(description="runbooks matching the filters")
    offset: int
    limit: int
    items: list[RunbookRow]


class SearchHit(BaseModel):
    id: str
    title: str
    title_zh: str | None = None
    summary: str
    score: float
    confidence: str


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    ready: bool
    runbooks: int
    content_hash: str | None
    index_age_seconds: float | None
    built_in_process: bool | None
    reloads: int
    failure: str | None = None
    problems: list[dict[str, Any]] = []


class ProblemOut(BaseModel):
    """RFC 9457 problem details; extensions (`suggestions`, `errors`, `problems`) depend on the problem."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses an endpoint can give."""
    return {status: {"description": "a problem (RFC 9457)"} for status in statuses}
