"""DingTalk enterprise robot callback: `timestamp` (ms) and `sign` headers, a one-hour window, markdown reply.

The reply goes to the callback's `sessionWebhook` (POST the message as JSON; no token needed) until its
`sessionWebhookExpiredTime` (ms). DingTalk signs only the timestamp, not the body, so a replayed signature may
carry any URL: kb posts only to hosts on an allow-list, over HTTPS unless an entry names another scheme.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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


@dataclass(frozen=True)
class Allowed:
    """One allow-list entry: `oapi.dingtalk.com`, `host:8443`, `.dingtalk.com` (subdomains), `http://127.0.0.1:9`."""

    scheme: str
    host: str
    port: int | None

    @classmethod
    def parse(cls, entry: str) -> Allowed:
        scheme, _, rest = entry.strip().lower().rpartition("://")
        host, _, port = rest.strip("/").partition(":")
        return cls(scheme or "https", host, int(port) if port.isdigit() else None)

    def admits(self, scheme: str, host: str, port: int | None) -> bool:
        default = {"https": 443, "http": 80}.get(scheme)
        if scheme != self.scheme or (port or default) != (self.port or default):
            return False
        return host == self.host or (self.host.startswith(".") and host.endswith(self.host))


def allow_list(setting: str) -> tuple[Allowed, ...]:
    return tuple(Allowed.parse(entry) for entry in setting.split(",") if entry.strip())


def session_webhook(document: Any, allowed: tuple[Allowed, ...], now: float) -> tuple[str | None, str]:
    """The callback's sessionWebhook if kb may post to it now, else None and why not."""
    if not isinstance(document, dict) or not isinstance(document.get("sessionWebhook"), str):
        return None, "the callback has no sessionWebhook"
    url = document["sessionWebhook"]
    expires = document.get("sessionWebhookExpiredTime")
    if isinstance(expires, int | float) and not isinstance(expires, bool) and expires / 1000 <= now:
        return None, "the sessionWebhook has expired"
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        return None, "the sessionWebhook is not a URL"
    if parts.username or parts.password or not any(a.admits(parts.scheme, host, port) for a in allowed):
        return None, f"the sessionWebhook's host {host or '?'} is not in KB_DINGTALK_WEBHOOK_HOSTS"
    return url, ""
