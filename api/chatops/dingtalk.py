"""DingTalk enterprise robot callback: `timestamp` (ms) and `sign` headers, a one-hour window, markdown reply."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from .answer import Answer, clip, markdown
from .signing import fresh, header, hmac_sha256, same

REPLAY_WINDOW = 3600
# DingTalk truncates long markdown messages; stay well under what its clients render.
MARKDOWN_MAX = 5000


def sign(timestamp: str, app_secret: str) -> str:
    """Base64(HMAC-SHA256(key=appSecret, message=timestamp + "\\n" + appSecret))."""
    return base64.b64encode(hmac_sha256(app_secret.encode(), f"{timestamp}\n{app_secret}".encode())).decode()


def verify(raw_body: bytes, headers: Mapping[str, str], app_secret: str, now: float) -> None:
    """Unauthorized unless the `sign` header is DingTalk's signature of the `timestamp` header, within an hour.

    DingTalk signs the timestamp, not the body: the window is what limits a replayed request.
    """
    timestamp = header(headers, "timestamp")
    given = header(headers, "sign")
    fresh(timestamp, now, REPLAY_WINDOW, scale=1000)
    same(sign(timestamp, app_secret), given)


def message_text(document: Any) -> str:
    """The text a user sent to the robot (`text.content`), or "" for other message types."""
    if not isinstance(document, dict) or not isinstance(document.get("text"), dict):
        return ""
    return str(document["text"].get("content", "")).strip()


def reply(answer: Answer) -> dict[str, Any]:
    title = answer.title or "kb"
    return {
        "msgtype": "markdown",
        "markdown": {"title": clip(title, 100), "text": clip(markdown(answer), MARKDOWN_MAX)},
    }
