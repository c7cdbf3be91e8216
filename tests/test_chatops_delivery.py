"""Replies through the platforms' message APIs, against a fake platform over real HTTP on 127.0.0.1: tokens fetched
and cached, the bodies and their limits, retried callbacks, refused tokens, platform errors and the SSRF guard."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from kb_api.chatops import answer, dingtalk, feishu, outbound, wecom

from tests.api_helpers import NOW, UH_PASTE, api_client
from tests.test_chatops import (
    DINGTALK_SECRET,
    DINGTALK_SIGN,
    FEISHU_KEY,
    FEISHU_TOKEN,
    WECOM,
    ZH_PASTE,
    feishu_message,
    feishu_signed,
)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakePlatform:
    """An HTTP server that answers each path from a script (the last answer repeats) and records every request."""

    server: ThreadingHTTPServer
    script: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, *responses: tuple[int, Any]) -> None:
        self.script[path] = list(responses)

    def to(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]


@pytest.fixture
def fake() -> Iterator[FakePlatform]:
    platform: FakePlatform

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            body = json.loads(raw) if raw else None
            platform.requests.append(Seen(self.command, parts.path, query, dict(self.headers), body))
            queue = platform.script.get(parts.path) or [(404, {"code": 404, "msg": "no such path"})]
            status, document = queue.pop(0) if len(queue) > 1 else queue[0]
            data = document if isinstance(document, bytes) else json.dumps(document).encode()
            self.send_response(status)
            if status in (301, 302, 307):
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Type", "application/json")
            cut = data.startswith(b"CUT")  # promise more bytes than are sent: the answer is cut short
            self.send_header("Content-Length", str(len(data) + (50 if cut else 0)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    platform = FakePlatform(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    thread = threading.Thread(target=platform.server.serve_forever, daemon=True)
    thread.start()
    yield platform
    platform.server.shutdown()
    platform.server.server_close()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "BACKOFF_SECONDS", 0.01)


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert "Traceback" not in caplog.text


FEISHU_TOKEN_OK = (200, {"code": 0, "msg": "ok", "tenant_access_token": "t-first", "expire": 7200})
FEISHU_REPLIED = (200, {"code": 0, "msg": "success", "data": {"message_id": "om_reply"}})


def feishu_client(fake: FakePlatform) -> Any:
    secrets = {"feishu_verification_token": FEISHU_TOKEN, "feishu_encrypt_key": FEISHU_KEY, "feishu_app_id": "cli_1"}
    return api_client(
        **secrets, feishu_app_secret="app-secret", feishu_api_base=fake.url, site_url="https://kb.example.org"
    )


def feishu_event(client: TestClient, text: str, message_id: str, event_id: str) -> Any:
    document = feishu_message(text)
    document["header"]["event_id"] = event_id  # type: ignore[index]
    document["event"]["message"]["message_id"] = message_id  # type: ignore[index]
    body, headers = feishu_signed(document)
    return client.post("/v1/chatops/feishu", content=body, headers=headers)


def test_feishu_card_goes_through_the_reply_api_with_a_cached_token(fake: FakePlatform) -> None:
    fake.answer(feishu.TOKEN_PATH, FEISHU_TOKEN_OK)
    fake.answer("/open-apis/im/v1/messages/om_1/reply", FEISHU_REPLIED)
    fake.answer("/open-apis/im/v1/messages/om_2/reply", FEISHU_REPLIED)
    with feishu_client(fake) as client:
        first = feishu_event(client, ZH_PASTE, "om_1", "ev_1")
        assert first.status_code == 200 and first.json() == {}  # answered at once; the card went separately
        assert feishu_event(client, UH_PASTE, "om_2", "ev_2").status_code == 200
    (token,) = fake.to(feishu.TOKEN_PATH)  # one token for both replies
    assert token.method == "POST" and token.body == {"app_id": "cli_1", "app_secret": "app-secret"}
    (reply,) = fake.to("/open-apis/im/v1/messages/om_1/reply")
    assert reply.headers["Authorization"] == "Bearer t-first"
    assert reply.body["msg_type"] == "interactive" and reply.body["uuid"].startswith("kb-")
    card = json.loads(reply.body["content"])
    assert card["header"]["title"]["content"].startswith("DestinationRule 子集选不到 Pod")  # asked in Chinese
    assert card["elements"][-1]["actions"][0]["url"].endswith("/runbooks/subset-no-healthy-upstream.html?lang=zh")
    (other,) = fake.to("/open-apis/im/v1/messages/om_2/reply")
    assert other.body["uuid"] != reply.body["uuid"]


def test_feishu_retried_events_get_one_reply(fake: FakePlatform) -> None:
    fake.answer(feishu.TOKEN_PATH, FEISHU_TOKEN_OK)
    fake.answer("/open-apis/im/v1/messages/om_1/reply", FEISHU_REPLIED)
    with feishu_client(fake) as client:
        for event_id in ("ev_1", "ev_1", "ev_retry"):  # the same event again, and the same message re-pushed
            assert feishu_event(client, UH_PASTE, "om_1", event_id).status_code == 200
    assert len(fake.to("/open-apis/im/v1/messages/om_1/reply")) == 1


def test_feishu_refused_token_is_fetched_again(fake: FakePlatform, caplog: pytest.LogCaptureFixture) -> None:
    second = (200, {"code": 0, "msg": "ok", "tenant_access_token": "t-second", "expire": 7200})
    fake.answer(feishu.TOKEN_PATH, FEISHU_TOKEN_OK, second)
    refused = (400, {"code": 99991663, "msg": "Invalid access token for authorization."})
    fake.answer("/open-apis/im/v1/messages/om_1/reply", refused, FEISHU_REPLIED)
    with feishu_client(fake) as client:
        assert feishu_event(client, UH_PASTE, "om_1", "ev_1").status_code == 200
    replies = fake.to("/open-apis/im/v1/messages/om_1/reply")
    assert [r.headers["Authorization"] for r in replies] == ["Bearer t-first", "Bearer t-second"]
    assert "not delivered" not in caplog.text
    no_tracebacks(caplog)


@pytest.mark.parametrize(
    ("token", "reply", "logged"),
    [
        (FEISHU_TOKEN_OK, (400, {"code": 230002, "msg": "The bot can not be outside the group."}), "code 230002"),
        ((200, {"code": 10014, "msg": "app secret invalid"}), FEISHU_REPLIED, "refused KB_FEISHU_APP_ID"),
        (FEISHU_TOKEN_OK, (502, b"<html>bad gateway</html>"), "HTTP 502 without JSON"),
        (FEISHU_TOKEN_OK, (200, b"not json"), "without JSON"),
        (FEISHU_TOKEN_OK, (302, {}), "HTTP 302"),  # a redirect is never followed
        (FEISHU_TOKEN_OK, (200, b'CUT{"code": 0'), "cannot reach"),
    ],
)
def test_feishu_platform_errors_are_logged_never_raised(
    fake: FakePlatform, caplog: pytest.LogCaptureFixture, token: Any, reply: Any, logged: str
) -> None:
    fake.answer(feishu.TOKEN_PATH, token)
    fake.answer("/open-apis/im/v1/messages/om_1/reply", reply)
    with caplog.at_level(logging.INFO), feishu_client(fake) as client:
        response = feishu_event(client, UH_PASTE, "om_1", "ev_1")
    assert response.status_code == 200
    assert "was not delivered" in caplog.text and logged in caplog.text, caplog.text
    assert not fake.to("/elsewhere")
    assert "app-secret" not in caplog.text and "t-first" not in caplog.text
    no_tracebacks(caplog)


def test_feishu_busy_platform_is_retried(fake: FakePlatform) -> None:
    fake.answer(feishu.TOKEN_PATH, FEISHU_TOKEN_OK)
    busy = (503, {"code": 1500, "msg": "internal error"})
    fake.answer("/open-apis/im/v1/messages/om_1/reply", busy, (400, {"code": 230020, "msg": "rate"}), FEISHU_REPLIED)
    with feishu_client(fake) as client:
        assert feishu_event(client, UH_PASTE, "om_1", "ev_1").status_code == 200
    assert len(fake.to("/open-apis/im/v1/messages/om_1/reply")) == 3


def test_feishu_unreachable_platform_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with api_client(feishu_verification_token=FEISHU_TOKEN, feishu_encrypt_key=FEISHU_KEY, feishu_app_id="cli_1",
                    feishu_app_secret="s", feishu_api_base="http://127.0.0.1:9") as client:  # fmt: skip
        assert feishu_event(client, UH_PASTE, "om_1", "ev_1").status_code == 200
    assert "cannot reach http://127.0.0.1:9" in caplog.text
    no_tracebacks(caplog)


def test_feishu_without_app_credentials_says_so_once_and_answers_in_the_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING), api_client(feishu_verification_token=FEISHU_TOKEN,
                                                      feishu_encrypt_key=FEISHU_KEY) as client:  # fmt: skip
        for n in (1, 2):
            card = feishu_event(client, UH_PASTE, f"om_{n}", f"ev_{n}").json()
            assert card["msg_type"] == "interactive"
    assert caplog.text.count("KB_FEISHU_APP_ID and KB_FEISHU_APP_SECRET are not set") == 1


def test_feishu_card_fits_the_reply_apis_30_kb() -> None:
    huge = answer.Answer("zh", True, "x", "标题" * 200, "很长的摘要。" * 5000, "high", ('证据 "引号"\n',) * 500,
                         ("kubectl " + "参数" * 3000,) * 20, url="https://kb.example.org/x")  # fmt: skip
    body = feishu.reply_body(feishu.card(huge), "om_1")
    assert len(json.dumps(body, ensure_ascii=False).encode()) <= feishu.REPLY_MAX_BYTES


WECOM_TOKEN_OK = (200, {"errcode": 0, "errmsg": "ok", "access_token": "wx-first", "expires_in": 7200})
WECOM_SENT = (200, {"errcode": 0, "errmsg": "ok", "msgid": "m1"})


def wecom_request(client: TestClient, text: str, msg_id: str) -> Any:
    keys = wecom.Keys.of(WECOM["token"], WECOM["key"], WECOM["corp"])
    inner = (
        f"<xml><ToUserName><![CDATA[{WECOM['corp']}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    encrypted = wecom.encrypt(inner, keys)
    signature = wecom.msg_signature(keys.token, str(NOW), "42", encrypted)
    query = {"timestamp": str(NOW), "nonce": "42", "msg_signature": signature}
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return client.post("/v1/chatops/wecom", params=query, content=body)


def wecom_client(fake: FakePlatform) -> Any:
    return api_client(wecom_token=WECOM["token"], wecom_encoding_aes_key=WECOM["key"], wecom_corp_id=WECOM["corp"],
                      wecom_corp_secret="corp-secret", wecom_agent_id=1000002, wecom_api_base=fake.url)  # fmt: skip


def test_wecom_markdown_goes_through_the_message_api(fake: FakePlatform) -> None:
    fake.answer(wecom.TOKEN_PATH, WECOM_TOKEN_OK)
    fake.answer(wecom.SEND_PATH, WECOM_SENT)
    with wecom_client(fake) as client:
        first = wecom_request(client, ZH_PASTE, "1001")
        assert first.status_code == 200 and first.content == b""  # no passive reply
        assert wecom_request(client, ZH_PASTE, "1001").content == b""  # WeCom's retry: no second message
        wecom_request(client, UH_PASTE, "1002")
    (token,) = fake.to(wecom.TOKEN_PATH)
    assert token.method == "GET" and token.query == {"corpid": WECOM["corp"], "corpsecret": "corp-secret"}
    sent = fake.to(wecom.SEND_PATH)
    assert len(sent) == 2 and {s.query["access_token"] for s in sent} == {"wx-first"}
    message = sent[0].body
    assert message["touser"] == "zhangsan" and message["msgtype"] == "markdown" and message["agentid"] == 1000002
    content = message["markdown"]["content"]
    assert content.startswith("**DestinationRule 子集选不到 Pod") and "```" not in content
    assert len(content.encode()) <= wecom.MARKDOWN_MAX_BYTES


def test_wecom_expired_token_and_errors(fake: FakePlatform, caplog: pytest.LogCaptureFixture) -> None:
    second = (200, {"errcode": 0, "errmsg": "ok", "access_token": "wx-second", "expires_in": 7200})
    fake.answer(wecom.TOKEN_PATH, WECOM_TOKEN_OK, second)
    expired = (200, {"errcode": 42001, "errmsg": "access_token expired"})
    invalid_user = (200, {"errcode": 81013, "errmsg": "user & party & tag all invalid"})
    fake.answer(wecom.SEND_PATH, expired, WECOM_SENT, invalid_user)
    with wecom_client(fake) as client:
        assert wecom_request(client, UH_PASTE, "1").status_code == 200
        assert wecom_request(client, UH_PASTE, "2").status_code == 200
    assert [s.query["access_token"] for s in fake.to(wecom.SEND_PATH)] == ["wx-first", "wx-second", "wx-second"]
    assert "code 81013" in caplog.text and "corp-secret" not in caplog.text
    no_tracebacks(caplog)


def test_wecom_markdown_is_cut_at_a_utf8_boundary() -> None:
    for filler in ("摘要" * 3000, "a" * 5000 + "子" * 10, "😀" * 2000):
        huge = answer.Answer("zh", True, "x", "标题", filler, "high")
        content = wecom.markdown_message(huge, "u", 1)["markdown"]["content"]
        assert len(content.encode("utf-8")) <= wecom.MARKDOWN_MAX_BYTES and content.endswith("…")


def dingtalk_body(webhook: str, expires_ms: int = (NOW + 3600) * 1000) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": UH_PASTE}, "msgId": "msg1", "conversationType": "2",
            "sessionWebhook": webhook, "sessionWebhookExpiredTime": expires_ms}  # fmt: skip


DING_HEADERS = {"timestamp": "1700000000000", "sign": DINGTALK_SIGN}


def test_dingtalk_replies_through_the_session_webhook(fake: FakePlatform) -> None:
    fake.answer("/robot/sendBySession", (200, {"errcode": 0, "errmsg": "ok"}))
    hosts = f"oapi.dingtalk.com,{fake.url}"
    with api_client(dingtalk_app_secret=DINGTALK_SECRET, dingtalk_webhook_hosts=hosts) as client:
        webhook = f"{fake.url}/robot/sendBySession?session=s1"
        response = client.post("/v1/chatops/dingtalk", json=dingtalk_body(webhook), headers=DING_HEADERS)
    assert response.status_code == 200 and response.json() == {}
    (sent,) = fake.to("/robot/sendBySession")
    assert sent.query == {"session": "s1"} and sent.body["msgtype"] == "markdown"
    assert "subset-no-healthy-upstream" in sent.body["markdown"]["text"]


@pytest.mark.parametrize(
    ("webhook", "expires_ms", "why"),
    [
        ("{fake}/robot/sendBySession?session=s1", (NOW - 1) * 1000, "expired"),
        ("{fake}/robot/sendBySession?session=s1", None, "not in KB_DINGTALK_WEBHOOK_HOSTS"),  # default hosts only
        ("http://oapi.dingtalk.com@127.0.0.1:{port}/robot/sendBySession", None, "not in"),  # userinfo trick
        ("http://oapi.dingtalk.com/robot/sendBySession", None, "not in"),  # allowed host, but not over https
        ("https://oapi.dingtalk.com.evil.example/x", None, "not in"),
        ("file:///etc/passwd", None, "not in"),
        ("https://[::1", None, "not a URL"),
    ],
)
def test_dingtalk_refuses_webhooks_off_the_allow_list(
    fake: FakePlatform, caplog: pytest.LogCaptureFixture, webhook: str, expires_ms: int | None, why: str
) -> None:
    url = webhook.format(fake=fake.url, port=fake.server.server_address[1])
    body = dingtalk_body(url, expires_ms or (NOW + 60) * 1000)
    hosts = fake.url if expires_ms else "oapi.dingtalk.com,api.dingtalk.com"
    with caplog.at_level(logging.INFO), api_client(dingtalk_app_secret=DINGTALK_SECRET,
                                                   dingtalk_webhook_hosts=hosts) as client:  # fmt: skip
        response = client.post("/v1/chatops/dingtalk", json=body, headers=DING_HEADERS)
    assert response.status_code == 200 and response.json()["msgtype"] == "markdown"  # the response is the reply
    assert not fake.requests and why in caplog.text


def test_dingtalk_session_errors_are_logged(fake: FakePlatform, caplog: pytest.LogCaptureFixture) -> None:
    fake.answer("/robot/sendBySession", (200, {"errcode": 300001, "errmsg": "session 不存在"}))
    with api_client(dingtalk_app_secret=DINGTALK_SECRET, dingtalk_webhook_hosts=fake.url) as client:
        body = dingtalk_body(f"{fake.url}/robot/sendBySession?session=gone")
        assert client.post("/v1/chatops/dingtalk", json=body, headers=DING_HEADERS).status_code == 200
    assert len(fake.requests) == 1 and "code 300001" in caplog.text and "session=gone" not in caplog.text
    no_tracebacks(caplog)


@pytest.mark.parametrize(
    ("entry", "url", "admitted"),
    [
        ("oapi.dingtalk.com", "https://oapi.dingtalk.com/robot/sendBySession?session=1", True),
        ("oapi.dingtalk.com", "https://oapi.dingtalk.com:443/robot", True),
        ("oapi.dingtalk.com", "https://oapi.dingtalk.com:8443/robot", False),
        ("oapi.dingtalk.com", "https://OAPI.DINGTALK.COM/robot", True),
        (".dingtalk.com", "https://api.dingtalk.com/v1.0", True),
        (".dingtalk.com", "https://evildingtalk.com/", False),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/x", True),
        ("http://127.0.0.1:8080", "https://127.0.0.1:8080/x", False),
    ],
)
def test_dingtalk_allow_list(entry: str, url: str, admitted: bool) -> None:
    found, _ = dingtalk.session_webhook({"sessionWebhook": url}, dingtalk.allow_list(entry), now=NOW)
    assert (found == url) is admitted


def test_token_cache_renews_before_expiry() -> None:
    now = [0.0]
    issued = iter([("a", 600.0), ("b", 7200.0)])
    tokens = outbound.TokenCache(lambda: next(issued), clock=lambda: now[0])
    assert tokens.get() == "a"
    now[0] = 600.0 - outbound.TOKEN_MARGIN_SECONDS - 1
    assert tokens.get() == "a" and tokens.fetches == 1
    now[0] += 2  # inside the margin: renewed before Feishu or WeCom would refuse it
    assert tokens.get() == "b" and tokens.get() == "b" and tokens.fetches == 2


def test_wecom_events_and_messages_without_an_id_are_handled(fake: FakePlatform) -> None:
    fake.answer(wecom.TOKEN_PATH, WECOM_TOKEN_OK)
    fake.answer(wecom.SEND_PATH, WECOM_SENT)
    keys = wecom.Keys.of(WECOM["token"], WECOM["key"], WECOM["corp"])
    with wecom_client(fake) as client:
        for inner in (
            "<xml><FromUserName>zhangsan</FromUserName><MsgType>event</MsgType><Event>enter_agent</Event></xml>",
            "<xml><FromUserName>zhangsan</FromUserName><MsgType>text</MsgType><Content>503 UH</Content></xml>",
            "<xml><FromUserName>zhangsan</FromUserName><MsgType>text</MsgType><Content>熔断了</Content></xml>",
        ):
            encrypted = wecom.encrypt(inner, keys)
            signature = wecom.msg_signature(keys.token, str(NOW), "7", encrypted)
            query = {"timestamp": str(NOW), "nonce": "7", "msg_signature": signature}
            body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            assert client.post("/v1/chatops/wecom", params=query, content=body).content == b""
    sent = [s.body["markdown"]["content"] for s in fake.to(wecom.SEND_PATH)]
    assert len(sent) == 2 and "置信度" in sent[1] and "confidence" in sent[0]  # no reply to the event; "熔断了" is zh
