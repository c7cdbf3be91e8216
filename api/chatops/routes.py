"""The chat adapters' HTTP edge: check the secret is configured, verify the raw body, answer in the platform's format.

An adapter whose secret is not set answers 404: it is disabled, never open.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

import kb

from ..deps import library, settings_of
from ..errors import AdapterDisabled, InvalidBody
from ..models import EXAMPLE_PASTE, problems
from ..service import checked_text, decode, parse_json
from . import dingtalk, feishu, slack, teams, webhook, wecom
from .answer import Answer, answer_of, markdown
from .delivery import Outbox
from .signing import same

log = logging.getLogger("kb_api.chatops")
router = APIRouter(prefix="/v1/chatops", tags=["chatops"])
ERRORS = problems(401, 404, 413, 422, 503)
# A chat answer names the best runbook and a few others.
CHAT_RESULTS = 4
Clock = Callable[[], float]


def _example(media: str, value: Any) -> dict[str, Any]:
    """An OpenAPI request body of `media` with one real example (signatures go in headers, not shown)."""
    schema = {"type": "string"} if media in ("application/xml", "application/x-www-form-urlencoded") else {
        "type": "object"}  # fmt: skip
    return {"requestBody": {"required": True, "content": {media: {"schema": schema, "example": value}}}}


_TEXT = EXAMPLE_PASTE
SLACK_EXAMPLE = _example("application/x-www-form-urlencoded", f"command=%2Fkb&text={quote(_TEXT)}&user_id=U1")
FEISHU_EXAMPLE = _example("application/json", {
    "schema": "2.0", "header": {"token": "<verification token>", "event_type": "im.message.receive_v1"},
    "event": {"message": {"message_type": "text", "content": json.dumps({"text": f"@_user_1 {_TEXT}"})}}})  # fmt: skip
DINGTALK_EXAMPLE = _example("application/json", {"msgtype": "text", "text": {"content": _TEXT}})
WECOM_EXAMPLE = _example("application/xml", "<xml><ToUserName><![CDATA[corp]]></ToUserName>"
                         "<Encrypt><![CDATA[<base64 AES ciphertext>]]></Encrypt></xml>")  # fmt: skip
TEAMS_EXAMPLE = _example("application/json", {"type": "message", "text": f"<at>kb</at> {_TEXT}"})
WEBHOOK_EXAMPLE = _example("application/json", {"text": _TEXT})


def _clock(request: Request) -> float:
    now: Clock = getattr(request.app.state, "clock", time.time)
    return now()


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


def _secret(value: str | None, name: str) -> str:
    if not value:
        raise AdapterDisabled(f"this chat adapter is disabled: set {name} to enable it")
    return value


def answer(request: Request, text: str) -> Answer:
    """The answer for a chat message; an empty or unreadable message gets the usage hint, never an error."""
    lib = library(request)
    try:
        report = kb.match(checked_text(text), lib, CHAT_RESULTS)
    except kb.KBError:
        return Answer(kb.language_of(text), found=False)
    return answer_of(report, text, settings_of(request).site_url)


@router.post("/slack", summary="Slack slash command (application/x-www-form-urlencoded)", responses=ERRORS,
             openapi_extra=SLACK_EXAMPLE)  # fmt: skip
async def slack_command(request: Request) -> JSONResponse:
    secret = _secret(settings_of(request).slack_signing_secret, "KB_SLACK_SIGNING_SECRET")
    raw = await request.body()
    slack.verify(raw, request.headers, secret, _clock(request))
    text, public = slack.command(raw)
    # Matching takes milliseconds, far inside Slack's 3-second deadline: the answer is the response itself.
    return JSONResponse(slack.reply(answer(request, text), public))


@router.post("/feishu", summary="Feishu/Lark event callback (plain or encrypted)", responses=ERRORS,
             openapi_extra=FEISHU_EXAMPLE)  # fmt: skip
async def feishu_event(request: Request, background: BackgroundTasks) -> JSONResponse:
    settings = settings_of(request)
    token = _secret(settings.feishu_verification_token, "KB_FEISHU_VERIFICATION_TOKEN")
    raw = await request.body()
    document = parse_json(raw)
    key = settings.feishu_encrypt_key
    is_challenge = isinstance(document, dict) and _is_challenge(document, key)
    if key and not is_challenge:
        # Feishu signs event deliveries (when an Encrypt Key is set), not the one-off URL check.
        feishu.verify(raw, request.headers, key, _clock(request))
    event = feishu.parse(document, key)
    same(token, event.token)
    if event.challenge is not None:
        return JSONResponse({"challenge": event.challenge})
    outbox = _outbox(request)
    if not outbox.seen.first(event.event_id, event.message_id):
        return JSONResponse({})  # Feishu retried an event kb already answered
    card = feishu.card(answer(request, event.text))
    if outbox.feishu is None or not event.message_id:
        return JSONResponse(card)
    # Answered at once (Feishu re-sends after 3 s); the card follows through the message API.
    background.add_task(outbox.feishu_reply, event.message_id, card)
    return JSONResponse({})


def _is_challenge(document: dict[str, Any], key: str | None) -> bool:
    try:
        return feishu.parse(document, key).challenge is not None
    except kb.KBError:
        return False


@router.post("/dingtalk", summary="DingTalk robot callback", responses=ERRORS, openapi_extra=DINGTALK_EXAMPLE)
async def dingtalk_message(request: Request, background: BackgroundTasks) -> JSONResponse:
    secret = _secret(settings_of(request).dingtalk_app_secret, "KB_DINGTALK_APP_SECRET")
    raw = await request.body()
    now = _clock(request)
    dingtalk.verify(raw, request.headers, secret, now)
    document = parse_json(raw)
    reply = dingtalk.reply(answer(request, dingtalk.message_text(document)))
    outbox = _outbox(request)
    url, why_not = dingtalk.session_webhook(document, outbox.dingtalk_hosts, now)
    if url is None:
        log.info("DingTalk: answering in the callback's response only: %s", why_not)
        return JSONResponse(reply)
    # DingTalk shows what is posted to the session webhook; the callback's response is only its acknowledgement.
    background.add_task(outbox.dingtalk_reply, url, reply)
    return JSONResponse({})


def _wecom_keys(request: Request) -> wecom.Keys:
    settings = settings_of(request)
    return wecom.Keys.of(
        _secret(settings.wecom_token, "KB_WECOM_TOKEN"),
        _secret(settings.wecom_encoding_aes_key, "KB_WECOM_ENCODING_AES_KEY"),
        _secret(settings.wecom_corp_id, "KB_WECOM_CORP_ID"),
    )


# WeCom's published sample (WXBizMsgCrypt): token QDG6eK, corp wx5823bf96d3bd56c7.
WECOM_URL_CHECK = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
                   "nonce": "263014780", "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+"
                   "4RPcs8TgAE7OaBO+FZXvnaqQ=="}  # fmt: skip
WECOM_PARAMETERS = {"parameters": [{"name": name, "in": "query", "required": True, "schema": {"type": "string"},
                                    "example": value} for name, value in WECOM_URL_CHECK.items()]}  # fmt: skip


@router.get("/wecom", summary="WeCom callback URL verification (echostr)", response_class=PlainTextResponse,
            responses=ERRORS, openapi_extra=WECOM_PARAMETERS)  # fmt: skip
async def wecom_verify_url(request: Request) -> PlainTextResponse:
    keys = _wecom_keys(request)
    echostr = request.query_params.get("echostr", "")
    wecom.verify(request.query_params, echostr, keys, _clock(request))
    return PlainTextResponse(wecom.decrypt(echostr, keys))


@router.post("/wecom", summary="WeCom encrypted XML message", responses=ERRORS, openapi_extra=WECOM_EXAMPLE)
async def wecom_message(request: Request, background: BackgroundTasks) -> Response:
    keys = _wecom_keys(request)
    raw = await request.body()
    encrypted = wecom.xml_fields(decode(raw)).get("Encrypt", "")
    wecom.verify(request.query_params, encrypted, keys, _clock(request))
    message = wecom.xml_fields(wecom.decrypt(encrypted, keys))
    outbox = _outbox(request)
    msg_id = message.get("MsgId", "")
    if message.get("MsgType") == "event" or not outbox.seen.first(f"wecom:{msg_id}" if msg_id else ""):
        return Response(b"")  # an event (the app opened, a member followed it), or a retry kb already answered
    text = message.get("Content", "") if message.get("MsgType") == "text" else ""
    sender = message.get("FromUserName", "")
    reply = answer(request, text)
    if outbox.wecom is not None and sender:
        # An empty response means "no passive reply"; the markdown follows through the message API.
        background.add_task(outbox.wecom_send, reply, sender)
        return Response(b"")
    timestamp, nonce = request.query_params["timestamp"], request.query_params["nonce"]
    return Response(wecom.reply_xml(reply, sender, keys, timestamp, nonce), media_type="application/xml")


async def _signed_json(request: Request, secret: str, platform: Any) -> Any:
    """A JSON body whose signature and signed timestamp `platform` (teams or webhook) has checked."""
    raw = await request.body()
    now = _clock(request)
    platform.verify(raw, request.headers, secret, now)
    document = parse_json(raw)
    platform.check_time(document, now)
    return document


@router.post("/teams", summary="Microsoft Teams outgoing webhook", responses=ERRORS, openapi_extra=TEAMS_EXAMPLE)
async def teams_message(request: Request) -> JSONResponse:
    token = _secret(settings_of(request).teams_security_token, "KB_TEAMS_SECURITY_TOKEN")
    document = await _signed_json(request, token, teams)
    return JSONResponse(teams.reply(answer(request, teams.message_text(document))))


@router.post("/webhook", summary="Generic signed webhook: JSON {text}; the answer as JSON or markdown",
             responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}, **ERRORS},
             openapi_extra=WEBHOOK_EXAMPLE)  # fmt: skip
async def generic_webhook(request: Request) -> Response:
    secret = _secret(settings_of(request).webhook_secret, "KB_WEBHOOK_SECRET")
    document = await _signed_json(request, secret, webhook)
    if not isinstance(document, dict) or not isinstance(document.get("text"), str):
        raise InvalidBody('the webhook body is JSON {"text": "..."}')
    reply = answer(request, document["text"])
    if "text/markdown" in request.headers.get("accept", "") or document.get("format") == "markdown":
        return Response(markdown(reply), media_type="text/markdown; charset=utf-8")
    return JSONResponse(reply.to_json())
