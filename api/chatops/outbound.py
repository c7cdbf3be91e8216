"""Talking back to the platforms: JSON over HTTPS (the standard library's client), access tokens cached until they
expire, retried callbacks remembered, and a delivery loop that retries what may pass and logs what will not.

Deliveries run after the callback was answered, so nothing here may raise: every failure ends as one log line.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

log = logging.getLogger("kb_api.chatops")
TIMEOUT_SECONDS = 5.0
# A token is renewed this long before the platform says it expires, so a request never carries a dying one.
TOKEN_MARGIN_SECONDS = 300.0
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5


class DeliveryError(Exception):
    """The platform could not be reached, or did not answer JSON; `transient` when trying again may help."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would send the reply (and its token) somewhere the allow-list never saw.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def call(url: str, body: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """POST `body` as JSON (GET without one) and return the JSON answer, whatever the HTTP status."""
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as answer:  # 4xx/5xx: platforms put their error code in the JSON body
        status, raw = answer.code, answer.read()
    except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, reset, timed out, cut short, DNS
        raise DeliveryError(f"cannot reach {_origin(url)}: {exc}") from None
    if 300 <= status < 400:
        raise DeliveryError(f"{_origin(url)} answered HTTP {status}, a redirect, which kb does not follow", False)
    try:
        document = json.loads(raw)
    except ValueError:
        busy = status >= 500 or status == 429
        raise DeliveryError(f"{_origin(url)} answered HTTP {status} without JSON", busy) from None
    if not isinstance(document, dict):
        raise DeliveryError(f"{_origin(url)} answered HTTP {status} with JSON that is not an object", False)
    if status >= 500 or status == 429:
        raise DeliveryError(f"{_origin(url)} answered HTTP {status}: {_said(document)}")
    return document


def _origin(url: str) -> str:
    """Scheme and host only: query strings carry access tokens and session keys, which never go to the log."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0]}"


def _said(document: Mapping[str, Any]) -> str:
    code = document.get("code", document.get("errcode"))
    return f"code {code}: {document.get('msg', document.get('errmsg', ''))}"


class Verdict(Enum):
    DONE = "done"
    RETRY = "retry"  # a transient failure (busy, throttled)
    NEW_TOKEN = "new token"  # the platform refused the token: fetch another and try again
    GIVE_UP = "give up"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    detail: str = ""


class TokenCache:
    """One access token, fetched when first needed and again shortly before it expires (or when refused)."""

    def __init__(self, fetch: Callable[[], tuple[str, float]], clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._clock = fetch, clock
        self._token, self._expires = "", 0.0
        self._lock = threading.Lock()
        self.fetches = 0

    def get(self) -> str:
        with self._lock:  # concurrent replies share one fetch instead of each asking for a token
            if not self._token or self._clock() >= self._expires - TOKEN_MARGIN_SECONDS:
                token, lifetime = self._fetch()
                self.fetches += 1
                self._token, self._expires = token, self._clock() + lifetime
            return self._token

    def drop(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = ""


class Seen:
    """Keys seen in the last `ttl` seconds (at most `size` of them): a platform's retry of an event kb answered."""

    def __init__(self, ttl: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, *keys: str) -> bool:
        """True unless one of the (non-empty) keys was seen; all of them count as seen from now on."""
        keys = tuple(key for key in keys if key)
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now - self._ttl:
                self._seen.popitem(last=False)
            fresh = not any(key in self._seen for key in keys)
            for key in keys:
                self._seen[key] = now
                self._seen.move_to_end(key)
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)
        return fresh


def deliver(what: str, send: Callable[[str], Outcome], tokens: TokenCache | None = None,
            sleep: Callable[[float], None] = time.sleep) -> bool:  # fmt: skip
    """Run `send` (given the current token, or "") until it is done or may not be retried; never raises."""
    detail = ""
    for attempt in range(ATTEMPTS):
        token = ""
        try:
            token = tokens.get() if tokens else ""
            outcome = send(token)
        except DeliveryError as exc:
            outcome = Outcome(Verdict.RETRY if exc.transient else Verdict.GIVE_UP, exc.message)
        except Exception as exc:  # a reply runs after its callback was answered: nothing may escape into the log
            outcome = Outcome(Verdict.GIVE_UP, f"unexpected {type(exc).__name__}: {exc}")
        if outcome.verdict is Verdict.DONE:
            return True
        detail = outcome.detail
        if outcome.verdict is Verdict.GIVE_UP:
            break
        if outcome.verdict is Verdict.NEW_TOKEN and tokens:
            tokens.drop(token)
        elif attempt + 1 < ATTEMPTS:
            sleep(BACKOFF_SECONDS * (attempt + 1))
    log.warning("%s was not delivered: %s", what, detail)
    return False
