"""The generic webhook: JSON {"text": ...} signed with HMAC-SHA256 in `X-KB-Signature: sha256=<hex>`."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from ..errors import Unauthorized
from .signing import header, recent, same

# A body may carry `"timestamp": <unix seconds>`; being signed, it lets kb refuse a replay older than this.
REPLAY_WINDOW = 300


def signature(raw_body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def verify(raw_body: bytes, headers: Mapping[str, str], secret: str, now: float) -> None:
    """Unauthorized unless X-KB-Signature is the body's HMAC-SHA256 with `secret`."""
    same(signature(raw_body, secret), header(headers, "X-KB-Signature").strip().lower())


def check_time(document: Any, now: float) -> None:
    stamp = document.get("timestamp") if isinstance(document, dict) else None
    if stamp is None:
        return
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        raise Unauthorized("the body's timestamp is not a number of seconds")
    recent(stamp, now, REPLAY_WINDOW)
