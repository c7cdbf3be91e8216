"""The data every face of the server returns (HTTP routes, chat adapters, MCP tools), from kb's public surface."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

import kb

from .errors import BadEncoding, InvalidBody
from .models import MatchRequest

LIST_FIELDS = {"id", "kind", "title", "title_zh", "summary", "severity", "components", "tags"}


def runbook_row(runbook: kb.Runbook) -> dict[str, Any]:
    return runbook.model_dump(mode="json", include=LIST_FIELDS)


def runbook_json(library: kb.Library, runbook_id: str) -> dict[str, Any]:
    """What `kb show ID --json` prints; UnknownRunbookError names the closest ids."""
    return library.catalog.get(runbook_id).model_dump(mode="json")


def search_rows(library: kb.Library, query: str, limit: int) -> list[dict[str, Any]]:
    """What `kb search --json` prints, with each runbook's summary."""
    return [
        {"id": r.runbook.id, "title": r.runbook.title, "title_zh": r.runbook.title_zh, "summary": r.runbook.summary,
         "score": round(r.score, 3), "confidence": r.confidence.value}
        for r in kb.search_runbooks(query, library, limit)
    ]  # fmt: skip


def match_json(library: kb.Library, text: str, limit: int) -> dict[str, Any]:
    """What `kb match --json` prints."""
    return kb.match(text, library, limit).to_json()


def decode(raw: bytes) -> str:
    """A body as text: strict UTF-8, since a reply built from mis-decoded bytes would quote garbage back."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadEncoding(f"the body is not valid UTF-8 (byte {exc.start}); send text") from None


def checked_text(text: str) -> str:
    """Pasted text that can be matched and quoted back: valid Unicode, not binary, not empty."""
    valid_unicode(text)
    if not text.strip():
        raise InvalidBody("the paste is empty; send a log, curl -v output, events or a symptom")
    kb.paste_text(text.encode("utf-8"))  # kb's refusal of binary input, the same for a file, stdin and a request
    return text


def valid_unicode(text: str) -> None:
    """BadEncoding for a lone surrogate (JSON can spell `\\ud800`; it is not a character and cannot be sent back)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadEncoding("the text holds a lone surrogate (such as \\ud800), which is not a character") from None


def parse_json(raw: bytes) -> Any:
    text = decode(raw)
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidBody("the JSON nests too deeply") from None
    except ValueError as exc:
        raise InvalidBody(f"malformed JSON: {exc}") from None


def match_request(raw: bytes, content_type: str) -> MatchRequest:
    """The paste and limit from a JSON `{"text", "limit"}` body or a plain-text body."""
    if not raw.strip():
        raise InvalidBody('the body is empty; send JSON {"text": ...} or a text/plain paste')
    if content_type.split(";")[0].strip().lower() == "text/plain":
        data: Any = {"text": decode(raw)}
    else:
        data = parse_json(raw)
    if isinstance(data, dict) and isinstance(data.get("text"), str):
        valid_unicode(data["text"])
    try:
        request = MatchRequest.model_validate(data)
    except ValidationError as exc:
        rows: list[dict[str, object]] = [
            {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
        raise InvalidBody('the body is not {"text": str, "limit": int} with visible text and no NUL', rows) from None
    checked_text(request.text)
    return request
