"""One error body for every failure: RFC 9457 `application/problem+json`, mapped once from kb's error tree."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb import KBError, UnknownRunbookError

from .errors import BodyTooLarge, InvalidBody

PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger("kb_api")


def problem_body(status: int, detail: str, instance: str = "", **extensions: Any) -> dict[str, Any]:
    """The RFC 9457 fields (`type` about:blank: the status says what kind of problem it is) and any extensions."""
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    if instance:
        body["instance"] = instance
    return body | extensions


def problem(status: int, detail: str, instance: str = "", headers: Mapping[str, str] | None = None,
            **extensions: Any) -> Response:  # fmt: skip
    content = json.dumps(problem_body(status, detail, instance, **extensions), ensure_ascii=False)
    return Response(content.encode("utf-8", "replace"), status, dict(headers or {}), media_type=PROBLEM_TYPE)


def extensions_of(exc: KBError) -> dict[str, Any]:
    """The structured fields an error carries, as problem extensions."""
    if isinstance(exc, UnknownRunbookError):
        return {"runbook_id": exc.runbook_id, "suggestions": list(exc.suggestions)}
    if isinstance(exc, InvalidBody) and exc.errors:
        return {"errors": exc.errors}
    problems = getattr(exc, "problems", None)
    return {"problems": problems} if problems else {}


async def _kb_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KBError)
    status = exc.status if exc.status in HTTPStatus._value2member_map_ else 500
    return problem(status, exc.message, request.url.path, **extensions_of(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        detail = f"no such endpoint: {request.method} {request.url.path}; see /docs"
    if exc.status_code == 405:
        # Starlette names the methods of the first route on the path; a path served by two routes has more.
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path)) or headers.get("Allow", "")
    return problem(exc.status_code, detail, request.url.path, headers)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the OpenAPI document lists for the path template `path` matches."""
    for template, operations in app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path):
            return sorted(method.upper() for method in operations)
    return []


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # The offending input is left out: it may be megabytes of paste, or bytes that are not text.
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
              for e in exc.errors()]  # fmt: skip
    where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:3])
    return problem(422, f"invalid request: {where}", request.url.path, errors=errors)


def install(app: FastAPI, max_body: int) -> None:
    """Every failure becomes a problem body: kb's errors, HTTP errors, invalid requests, and anything else."""
    app.add_exception_handler(KBError, _kb_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(BodyLimit, max_body=max_body)
    app.add_middleware(LastResort)


class BodyLimit:
    """Refuses a body over `max_body` bytes: at once from Content-Length, else as soon as the stream passes it."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await problem(400, "Content-Length is not a number", scope["path"])(scope, receive, send)
            if int(declared) > self.max_body:
                return await self._too_large(scope)(scope, receive, send)
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise BodyTooLarge(self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return f"the body is larger than {self.max_body} bytes; send the part of the log around the failure"

    def _too_large(self, scope: Scope) -> Response:
        return problem(413, self._message(), scope["path"], {"Connection": "close"})


class LastResort:
    """A bug must still answer with a problem body, and log one line rather than a traceback with user data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except BodyTooLarge as exc:  # raised while a handler outside FastAPI's own routes read the body
            if not started:
                await problem(413, exc.message, scope["path"])(scope, receive, send)
        except Exception as exc:
            log.error("internal error on %s %s: %s", scope.get("method"), scope["path"], type(exc).__name__)
            if not started:
                await problem(500, "internal error; the server log names it", scope["path"])(scope, receive, send)
