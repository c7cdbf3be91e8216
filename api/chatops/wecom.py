"""WeCom (企业微信) self-built app callback: echostr URL check, `msg_signature` = SHA1 of the sorted token,
timestamp, nonce and ciphertext, AES-256-CBC XML bodies, and an encrypted passive reply.

A passive reply (the callback's own response) may be text, image, voice, video or news, not markdown, and its
text holds at most 2048 bytes (developer.work.weixin.qq.com/document/path/90241). Markdown goes through the
message API instead: an access_token from GET /cgi-bin/gettoken?corpid=&corpsecret= (valid `expires_in`
seconds), then POST /cgi-bin/message/send?access_token= with msgtype markdown to the sender. That API's markdown
holds at most 2048 bytes of UTF-8 (document/path/90236); the 4096 bytes often quoted belong to the group robot
webhook (document/path/99110), which cannot answer one person. The callback is then answered with an empty body,
which WeCom takes as "no passive reply".

The AES key is Base64(EncodingAESKey + "="), the IV its first 16 bytes; the plaintext is 16 random bytes,
the message length (4 bytes, network order), the message and the receiving corp id, padded to 32 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from defusedxml import ElementTree

from ..errors import InvalidBody, Unauthorized
from . import aes
from .answer import Answer, clip_bytes, markdown, plain
from .signing import b64decode, fresh, same

REPLAY_WINDOW = 300
TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 2048
BLOCK = 32
TOKEN_PATH = "/cgi-bin/gettoken"
SEND_PATH = "/cgi-bin/message/send"
# Invalid and expired access_token: fetch another. System busy and over the API's rate: try again.
TOKEN_REFUSED = frozenset({40014, 42001})
BUSY = frozenset({-1, 45009})


@dataclass(frozen=True)
class Keys:
    token: str
    aes_key: bytes
    corp_id: str

    @classmethod
    def of(cls, token: str, encoding_aes_key: str, corp_id: str) -> Keys:
        key = b64decode(encoding_aes_key + "=", "KB_WECOM_ENCODING_AES_KEY")
        if len(key) != 32:
            raise Unauthorized("KB_WECOM_ENCODING_AES_KEY must be 43 characters (32 bytes)")
        return cls(token, key, corp_id)


def msg_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def verify(query: Mapping[str, str], encrypted: str, keys: Keys, now: float) -> None:
    """Unauthorized unless msg_signature signs this ciphertext with the token, within 5 minutes of `now`."""
    try:
        given, timestamp, nonce = query["msg_signature"], query["timestamp"], query["nonce"]
    except KeyError as missing:
        raise Unauthorized(f"missing {missing.args[0]} query parameter") from None
    fresh(timestamp, now, REPLAY_WINDOW)
    same(msg_signature(keys.token, timestamp, nonce, encrypted), given.lower())


def decrypt(encrypted: str, keys: Keys) -> str:
    plain = aes.decrypt(keys.aes_key, keys.aes_key[:16], b64decode(encrypted, "Encrypt"), BLOCK)
    if len(plain) < 20:
        raise Unauthorized("the decrypted message is too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, receiver = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or receiver.decode("utf-8", "replace") != keys.corp_id:
        raise Unauthorized("the message was not encrypted for this corp id")
    return message.decode("utf-8", errors="replace")


def encrypt(message: str, keys: Keys, prefix: bytes | None = None) -> str:
    body = message.encode()
    plain = (prefix or os.urandom(16)) + struct.pack(">I", len(body)) + body + keys.corp_id.encode()
    return base64.b64encode(aes.encrypt(keys.aes_key, keys.aes_key[:16], plain, BLOCK)).decode()


def xml_fields(document: str) -> dict[str, str]:
    """The top-level elements of a WeCom XML body (entities and DTDs refused by defusedxml)."""
    try:
        root = ElementTree.fromstring(document)
    except Exception:  # defusedxml raises its own errors for DTDs and entities, ParseError for bad XML
        raise InvalidBody("the body is not a WeCom XML message") from None
    return {child.tag: (child.text or "") for child in root}


def reply_xml(answer: Answer, to_user: str, keys: Keys, timestamp: str, nonce: str) -> str:
    """The passive reply: a text message, encrypted and signed like the callback itself."""
    content = clip_bytes(plain(answer), TEXT_MAX_BYTES)
    inner = (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName><FromUserName>{_cdata(keys.corp_id)}</FromUserName>"
        f"<CreateTime>{escape(timestamp)}</CreateTime><MsgType>{_cdata('text')}</MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )
    encrypted = encrypt(inner, keys)
    signature = msg_signature(keys.token, timestamp, nonce, encrypted)
    return (
        f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt><MsgSignature>{_cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{escape(timestamp)}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
    )


def _cdata(text: str) -> str:
    # "]]>" inside the text would end the section early; split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def token_query(corp_id: str, corp_secret: str) -> str:
    return urlencode({"corpid": corp_id, "corpsecret": corp_secret})


def token_of(document: dict[str, Any]) -> tuple[str, float] | None:
    """The access_token and its lifetime in seconds, or None when WeCom refused the corp id or secret."""
    token = document.get("access_token")
    if document.get("errcode", 0) != 0 or not isinstance(token, str) or not token:
        return None
    lifetime = document.get("expires_in")
    return token, float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 3600.0


def markdown_message(answer: Answer, to_user: str, agent_id: int) -> dict[str, Any]:
    """The message API's markdown to one member: WeCom's markdown has inline code only, no fences."""
    content = clip_bytes(markdown(answer, code=False), MARKDOWN_MAX_BYTES)
    return {"touser": to_user, "msgtype": "markdown", "agentid": agent_id, "markdown": {"content": content}}
