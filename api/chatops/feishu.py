"""Feishu/Lark event callback: url_verification, the signature over timestamp + nonce + encrypt key + body,
AES-256-CBC bodies (key = SHA-256 of the Encrypt Key, IV = the first 16 bytes), an interactive card reply.

Feishu ignores the body of a callback's response, so the card goes back through the message API: a
tenant_access_token from the app's id and secret (POST /open-apis/auth/v3/tenant_access_token/internal, valid
`expire` seconds), then POST /open-apis/im/v1/messages/{message_id}/reply with msg_type interactive and the card
as a JSON string; a card's request body may hold 30 KB (open.feishu.cn/document/server-docs/im-v1/message/reply).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..errors import InvalidBody, Unauthorized
from . import aes
from .answer import Answer, clip, clip_bytes, labels, markdown
from .signing import b64decode, fresh, header, same

REPLAY_WINDOW = 300
# The reply API takes a card body of at most 30 KB; the card's text is cut in bytes well inside it, since the
# card travels as an escaped JSON string in the request.
REPLY_MAX_BYTES = 30 * 1024
CARD_TEXT_MAX_BYTES = 18_000
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
# The codes Feishu answers for a missing, malformed, invalid or expired access token.
TOKEN_REFUSED = frozenset({99991661, 99991663, 99991677})
# Too many requests, and "the message is being sent": worth another try.
BUSY = frozenset({230020, 230049})
_MENTION = re.compile(r"@_user_\d+\s*")


@dataclass(frozen=True)
class Event:
    """What kb needs from a callback: a challenge to echo, or the text a user sent."""

    token: str
    challenge: str | None = None
    text: str = ""
    event_id: str = ""
    message_id: str = ""  # the message to reply to; Feishu asks to deduplicate on it, event ids may repeat


def verify(raw_body: bytes, headers: Mapping[str, str], encrypt_key: str, now: float) -> None:
    """Unauthorized unless X-Lark-Signature = SHA-256(timestamp + nonce + encrypt_key + body), within 5 minutes."""
    timestamp = header(headers, "X-Lark-Request-Timestamp")
    nonce = header(headers, "X-Lark-Request-Nonce")
    given = header(headers, "X-Lark-Signature")
    fresh(timestamp, now, REPLAY_WINDOW)
    expected = hashlib.sha256(timestamp.encode() + nonce.encode() + encrypt_key.encode() + raw_body).hexdigest()
    same(expected, given.lower())


def decrypt(encrypted: str, encrypt_key: str) -> bytes:
    data = b64decode(encrypted, "the encrypt field")
    if len(data) < 32:
        raise Unauthorized("the encrypt field is too short")
    return aes.decrypt(hashlib.sha256(encrypt_key.encode()).digest(), data[:16], data[16:])


def encrypt(plain: bytes, encrypt_key: str, iv: bytes) -> str:
    """The `encrypt` field Feishu would send for `plain` (for tests and tools that replay callbacks)."""
    return base64.b64encode(iv + aes.encrypt(hashlib.sha256(encrypt_key.encode()).digest(), iv, plain)).decode()


def parse(document: Any, encrypt_key: str | None) -> Event:
    """The event in a callback body, decrypted when it came as {"encrypt": ...}."""
    if not isinstance(document, dict):
        raise InvalidBody("a Feishu callback is a JSON object")
    if "encrypt" in document:
        if not encrypt_key or not isinstance(document["encrypt"], str):
            raise Unauthorized("an encrypted Feishu body, but no KB_FEISHU_ENCRYPT_KEY matches it")
        try:
            document = json.loads(decrypt(document["encrypt"], encrypt_key))
        except ValueError:
            raise InvalidBody("the decrypted Feishu body is not JSON") from None
        if not isinstance(document, dict):
            raise InvalidBody("a Feishu callback is a JSON object")
    elif encrypt_key:
        raise Unauthorized("KB_FEISHU_ENCRYPT_KEY is set, so Feishu bodies must arrive encrypted")
    head: dict[str, Any] = document["header"] if isinstance(document.get("header"), dict) else {}
    token = str(head.get("token") or document.get("token") or "")
    if document.get("type") == "url_verification":
        return Event(token, challenge=str(document.get("challenge", "")))
    message = _message(document.get("event"))
    return Event(token, text=_message_text(message), event_id=str(head.get("event_id") or ""),
                 message_id=str(message.get("message_id") or ""))  # fmt: skip


def _message(event: Any) -> dict[str, Any]:
    message = event.get("message") if isinstance(event, dict) else None
    return message if isinstance(message, dict) else {}


def _message_text(message: dict[str, Any]) -> str:
    """The text of an im.message.receive_v1 event (content is a JSON string), mentions of the bot removed."""
    if message.get("message_type") != "text":
        return ""
    try:
        content = json.loads(str(message.get("content", "")))
    except ValueError:
        return ""
    text = content.get("text", "") if isinstance(content, dict) else ""
    return _MENTION.sub("", str(text)).strip()


def card(answer: Answer) -> dict[str, Any]:
    """An interactive card: the title as header (red when high, orange medium, grey otherwise), markdown body."""
    words = labels(answer)
    colour = {"high": "red", "medium": "orange"}.get(answer.confidence, "grey")
    title = answer.title if answer.found else words["none"]
    elements: list[dict[str, Any]] = [
        {
            "tag": "div",
            "text": {"tag": "lark_md", "content": clip_bytes(markdown(answer, code=False), CARD_TEXT_MAX_BYTES)},
        }
    ]
    if answer.url:
        button = {"tag": "button", "text": {"tag": "plain_text", "content": words["open"]}, "url": answer.url,
                  "type": "primary"}  # fmt: skip
        elements.append({"tag": "action", "actions": [button]})
    return {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": clip(title, 100)}, "template": colour},
            "elements": elements,
        },
    }


def token_request(app_id: str, app_secret: str) -> dict[str, str]:
    return {"app_id": app_id, "app_secret": app_secret}


def token_of(document: dict[str, Any]) -> tuple[str, float] | None:
    """The tenant_access_token and its lifetime in seconds, or None when Feishu refused the app credentials."""
    token = document.get("tenant_access_token")
    if document.get("code") != 0 or not isinstance(token, str) or not token:
        return None
    expire = document.get("expire")
    return token, float(expire) if isinstance(expire, int | float) and expire > 0 else 3600.0


def reply_path(message_id: str) -> str:
    return f"/open-apis/im/v1/messages/{quote(message_id, safe='')}/reply"


def reply_body(card_reply: dict[str, Any], message_id: str) -> dict[str, Any]:
    """The reply API's body: the card as a JSON string, and a uuid so a retried delivery posts the card once
    (Feishu keeps a uuid for an hour, across every kb worker and replica)."""
    return {"msg_type": "interactive", "content": json.dumps(card_reply["card"], ensure_ascii=False),
            "uuid": "kb-" + hashlib.sha256(message_id.encode()).hexdigest()[:40]}  # fmt: skip
