"""Microsoft Teams outgoing webhook: `Authorization: HMAC <base64>` over the raw body, a markdown reply."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import Unauthorized
from .answer import Answer, clip, markdown
from .signing import b64decode, header, hmac_sha256, recent, same

# Teams' message size limit is about 28 KB; the answer stays far below it.
TEXT_MAX = 20000
# Teams does not sign a time, but the signed body carries the activity's timestamp: an old one is a replay.
REPLAY_WINDOW = 300
_TAG = re.compile(r"<at>.*?</at>|<[^>]+>", re.S)


def signature(raw_body: bytes, security_token: str) -> str:
    key = b64decode(security_token, "the Teams security token")
    return "HMAC " + base64.b64encode(hmac_sha256(key, raw_body)).decode()


def verify(raw_body: bytes, headers: Mapping[str, str], security_token: str, now: float) -> None:
    """Unauthorized unless Authorization is the HMAC of the body, and the activity is not older than 5 minutes."""
    same(signature(raw_body, security_token), header(headers, "Authorization").strip())


def check_time(document: Any, now: float) -> None:
    """The activity's own `timestamp` (part of the signed body) must be recent."""
    stamp = document.get("timestamp") if isinstance(document, dict) else None
    if stamp is None:
        return
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise Unauthorized("the activity timestamp is not a date") from None
    recent(when, now, REPLAY_WINDOW)


def message_text(document: Any) -> str:
    """The message text without the bot's <at> mention and HTML markup."""
    text = str(document.get("text", "")) if isinstance(document, dict) else ""
    return html.unescape(_TAG.sub(" ", text)).strip()


def reply(answer: Answer) -> dict[str, Any]:
    return {"type": "message", "text": clip(markdown(answer), TEXT_MAX)}
