"""What every platform's check shares: case-blind headers, a replay window, constant-time comparison."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from ..errors import Unauthorized


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever its case, or Unauthorized when it is missing."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    raise Unauthorized(f"missing {name} header")


def fresh(timestamp: str, now: float, window: float, scale: float = 1.0) -> None:
    """Unauthorized unless `timestamp` (seconds, or ms with scale 1000) is within `window` seconds of `now`."""
    try:
        when = int(timestamp) / scale
    except ValueError:
        raise Unauthorized("the request timestamp is not a number") from None
    recent(when, now, window)


def recent(when: float, now: float, window: float) -> None:
    """Unauthorized unless `when` (seconds) is within `window` seconds of `now`: older is a replay."""
    if abs(now - when) > window:
        raise Unauthorized("the request timestamp is outside the replay window")


def same(expected: str | bytes, given: str | bytes) -> None:
    """Unauthorized unless the two signatures are equal (compared in constant time)."""
    left = expected.encode() if isinstance(expected, str) else expected
    right = given.encode() if isinstance(given, str) else given
    if not hmac.compare_digest(left, right):
        raise Unauthorized("the signature does not match")


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def b64decode(text: str | bytes, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Unauthorized(f"{what} is not valid base64") from None
