"""The replies kb sends itself, after answering a callback at once: Feishu's card, WeCom's markdown, DingTalk's
session webhook. One `Outbox` per app holds the configured platforms, their cached tokens and the events seen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..settings import ApiSettings
from . import dingtalk, feishu, wecom
from .answer import Answer
from .outbound import DeliveryError, Outcome, Seen, TokenCache, Verdict, call, deliver

log = logging.getLogger("kb_api.chatops")
# Feishu retries an unanswered event after 5 s, 5 min, 1 h and 6 h; WeCom three times within seconds.
SEEN_SECONDS = 7 * 3600


@dataclass(frozen=True)
class FeishuApp:
    base: str
    tokens: TokenCache


@dataclass(frozen=True)
class WecomApp:
    base: str
    agent_id: int
    tokens: TokenCache


class Outbox:
    """What each platform's replies need; a platform without app credentials is None (the callback's own
    response stays its reply)."""

    def __init__(self, settings: ApiSettings) -> None:
        self.feishu = _feishu_app(settings)
        self.wecom = _wecom_app(settings)
        self.dingtalk_hosts = dingtalk.allow_list(settings.dingtalk_webhook_hosts)
        self.seen = Seen(SEEN_SECONDS)
        _say_what_is_missing(settings, self)

    def feishu_reply(self, message_id: str, card_reply: dict[str, Any]) -> bool:
        """Reply to the Feishu message with the card (run after the callback was answered)."""
        assert self.feishu is not None
        app = self.feishu
        url = app.base + feishu.reply_path(message_id)
        body = feishu.reply_body(card_reply, message_id)

        def send(token: str) -> Outcome:
            document = call(url, body, {"Authorization": f"Bearer {token}"})
            return _verdict(document.get("code"), document, feishu.TOKEN_REFUSED, feishu.BUSY)

        return deliver(f"the Feishu reply to {message_id}", send, app.tokens)

    def wecom_send(self, answer: Answer, to_user: str) -> bool:
        """Send the answer as markdown to the WeCom member who asked."""
        assert self.wecom is not None
        app = self.wecom
        body = wecom.markdown_message(answer, to_user, app.agent_id)

        def send(token: str) -> Outcome:
            document = call(f"{app.base}{wecom.SEND_PATH}?access_token={token}", body)
            return _verdict(document.get("errcode"), document, wecom.TOKEN_REFUSED, wecom.BUSY)

        return deliver(f"the WeCom message to {to_user}", send, app.tokens)

    def dingtalk_reply(self, url: str, message: dict[str, Any]) -> bool:
        """Post the markdown reply to the conversation's session webhook (already checked against the allow-list)."""

        def send(_: str) -> Outcome:
            document = call(url, message)
            return _verdict(document.get("errcode"), document, frozenset(), frozenset({-1}))

        return deliver("the DingTalk reply", send)


def _verdict(code: Any, document: dict[str, Any], token_refused: frozenset[int], busy: frozenset[int]) -> Outcome:
    detail = f"code {code}: {document.get('msg', document.get('errmsg', ''))}"
    if code == 0:
        return Outcome(Verdict.DONE)
    if code in token_refused:
        return Outcome(Verdict.NEW_TOKEN, detail)
    return Outcome(Verdict.RETRY if code in busy else Verdict.GIVE_UP, detail)


def _feishu_app(settings: ApiSettings) -> FeishuApp | None:
    app_id, secret = settings.feishu_app_id, settings.feishu_app_secret
    if not (app_id and secret):
        return None
    base = settings.feishu_api_base.rstrip("/")

    def fetch() -> tuple[str, float]:
        token = feishu.token_of(call(base + feishu.TOKEN_PATH, feishu.token_request(app_id, secret)))
        if token is None:
            raise DeliveryError("Feishu refused KB_FEISHU_APP_ID / KB_FEISHU_APP_SECRET", transient=False)
        return token

    return FeishuApp(base, TokenCache(fetch))


def _wecom_app(settings: ApiSettings) -> WecomApp | None:
    corp_id, secret, agent = settings.wecom_corp_id, settings.wecom_corp_secret, settings.wecom_agent_id
    if not (corp_id and secret and agent is not None):
        return None
    base = settings.wecom_api_base.rstrip("/")

    def fetch() -> tuple[str, float]:
        token = wecom.token_of(call(f"{base}{wecom.TOKEN_PATH}?{wecom.token_query(corp_id, secret)}"))
        if token is None:
            raise DeliveryError("WeCom refused KB_WECOM_CORP_ID / KB_WECOM_CORP_SECRET", transient=False)
        return token

    return WecomApp(base, agent, TokenCache(fetch))


def _say_what_is_missing(settings: ApiSettings, outbox: Outbox) -> None:
    """Once, when the app starts: an enabled adapter whose replies cannot reach the asker as intended."""
    if settings.feishu_verification_token and outbox.feishu is None:
        log.warning("Feishu adapter: KB_FEISHU_APP_ID and KB_FEISHU_APP_SECRET are not set, so the card goes back "
                    "only as the callback's response, which Feishu does not show; set them to reply via the "
                    "message API")  # fmt: skip
    if settings.wecom_token and outbox.wecom is None:
        log.info("WeCom adapter: KB_WECOM_CORP_SECRET and KB_WECOM_AGENT_ID are not set: answering with the "
                 "passive text reply (2048 bytes, no markdown)")  # fmt: skip
