"""Feishu/Lark event callback: url_verification, the signature over timestamp + nonce + encrypt key + body,
AES-256-CBC bodies (key = SHA-256 of the Encrypt Key, IV = the first 16 bytes), an interactive card reply."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidBody, Unauthorized
from . import aes
from .answer import Answer, clip, labels, markdown
from .signing import b64decode, fresh, header, same

REPLAY_WINDOW = 300
# Feishu's custom-bot body limit is 20 KB; a card's markdown element stays well inside it.
CARD_TEXT_MAX = 8000
_MENTION = re.compile(r"@_user_\d+\s*")


@dataclass(frozen=True)
class Event:
    """What kb needs from a callback: a challenge to echo, or the text a user sent."""

    token: str
    challenge: str | None = None
    text: str = ""


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
    return Event(token, text=_message_text(document.get("event")))


def _message_text(event: Any) -> str:
    """The text of an im.message.receive_v1 event (content is a JSON string), mentions of the bot removed."""
    message = event.get("message") if isinstance(event, dict) else None
    if not isinstance(message, dict) or message.get("message_type") != "text":
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
        {"tag": "div", "text": {"tag": "lark_md", "content": clip(markdown(answer, code=False), CARD_TEXT_MAX)}}
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
