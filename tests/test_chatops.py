"""Chat adapters: each platform's signature check with fixed clocks and known vectors, and its answer over HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from kb_api.chatops import answer, dingtalk, feishu, slack, teams, webhook, wecom
from kb_api.errors import Unauthorized

from tests.api_helpers import NOW, UH_PASTE, api_client

# Slack's documented example request (api.slack.com/authentication/verifying-requests-from-slack).
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
    b"channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
    b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
    b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_HEADERS = {
    "X-Slack-Request-Timestamp": "1531420618",
    "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
}
# WeCom's official sample (WXBizMsgCrypt): URL verification of this echostr.
WECOM = {"token": "QDG6eK", "key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "corp": "wx5823bf96d3bd56c7"}
WECOM_ECHO = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "timestamp": "1409659589",
    "nonce": "263014780",
    "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
}
# Feishu's documented decryption example: Encrypt Key "test key".
FEISHU_SAMPLE = ("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key", b"hello world")
# Signatures below were computed with openssl and sha256sum, not with kb's code.
DINGTALK_SECRET, DINGTALK_SIGN = "ding-secret", "nqq88ibHb0KGsDlurqi82ts6x3l4frnYUqJn0JfHX9o="
TEAMS_TOKEN = "dGVhbXMtc2VjcmV0LWtleS0zMmJ5dGVzISEhISEhISE="
TEAMS_BODY, TEAMS_AUTH = (
    b'{"type":"message","text":"<at>kb</at> 503 UH"}',
    "HMAC 2bTcxUMPk4EPiPQAgCVoC5XIznXHvo+BXNAyc8x29ys=",
)
HOOK_SECRET, HOOK_BODY = "hook-secret", b'{"text":"503 UH"}'
HOOK_SIGNATURE = "sha256=aff6d62c14f213066fbb7338a9b560a74a35137cf8bdbfd5871fdf59d91785bf"
FEISHU_KEY, FEISHU_TOKEN = "encrypt-key", "verification-token"
FEISHU_HEADERS = {
    "X-Lark-Request-Timestamp": "1700000000",
    "X-Lark-Request-Nonce": "nonce1",
    "X-Lark-Signature": "d64fe7167c89bfef7dd9bbcfdc9e8f298a2622e00473fb6cc54f712cc7fd2cd0",
}
FEISHU_BODY = b'{"encrypt":"abc"}'


def rejects(check: Callable[[], None], reason: str = "") -> None:
    with pytest.raises(Unauthorized) as caught:
        check()
    assert reason in caught.value.message


def without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


# --- Pure verification, platform by platform: valid, wrong secret, replayed, missing headers, tampered body.


def test_slack_signature() -> None:
    slack.verify(SLACK_BODY, SLACK_HEADERS, SLACK_SECRET, now=1531420618 + 299)
    slack.verify(SLACK_BODY, {k.lower(): v for k, v in SLACK_HEADERS.items()}, SLACK_SECRET, now=1531420618)
    rejects(lambda: slack.verify(SLACK_BODY, SLACK_HEADERS, "another-secret", now=1531420618))
    rejects(lambda: slack.verify(SLACK_BODY, SLACK_HEADERS, SLACK_SECRET, now=1531420618 + 301))
    rejects(lambda: slack.verify(SLACK_BODY + b"x", SLACK_HEADERS, SLACK_SECRET, now=1531420618))
    for name in SLACK_HEADERS:
        rejects(lambda name=name: slack.verify(SLACK_BODY, without(SLACK_HEADERS, name), SLACK_SECRET, 1531420618))
    bad_time = SLACK_HEADERS | {"X-Slack-Request-Timestamp": "soon"}
    rejects(lambda: slack.verify(SLACK_BODY, bad_time, SLACK_SECRET, now=1531420618))


def test_feishu_signature() -> None:
    feishu.verify(FEISHU_BODY, FEISHU_HEADERS, FEISHU_KEY, now=NOW + 60)
    rejects(lambda: feishu.verify(FEISHU_BODY, FEISHU_HEADERS, "other-key", now=NOW), "does not match")
    rejects(lambda: feishu.verify(FEISHU_BODY, FEISHU_HEADERS, FEISHU_KEY, now=NOW + 301), "replay")
    rejects(lambda: feishu.verify(b'{"encrypt":"abd"}', FEISHU_HEADERS, FEISHU_KEY, now=NOW), "does not match")
    for name in FEISHU_HEADERS:
        rejects(lambda name=name: feishu.verify(FEISHU_BODY, without(FEISHU_HEADERS, name), FEISHU_KEY, NOW), name)


def test_feishu_decrypts_the_documented_example() -> None:
    encrypted, key, plain = FEISHU_SAMPLE
    assert feishu.decrypt(encrypted, key) == plain
    rejects(lambda: feishu.decrypt(encrypted, "wrong key"))
    rejects(lambda: feishu.decrypt("not base64!", key), "base64")
    assert feishu.decrypt(feishu.encrypt(b"round trip", key, b"\x01" * 16), key) == b"round trip"


def test_dingtalk_signature() -> None:
    headers = {"timestamp": "1700000000000", "sign": DINGTALK_SIGN}
    assert dingtalk.sign("1700000000000", DINGTALK_SECRET) == DINGTALK_SIGN
    dingtalk.verify(b"{}", headers, DINGTALK_SECRET, now=NOW + 3599)
    rejects(lambda: dingtalk.verify(b"{}", headers, "other", now=NOW), "does not match")
    rejects(lambda: dingtalk.verify(b"{}", headers, DINGTALK_SECRET, now=NOW + 3601), "replay")
    rejects(lambda: dingtalk.verify(b"{}", headers | {"timestamp": "1700000000001"}, DINGTALK_SECRET, now=NOW))
    for name in headers:
        rejects(lambda name=name: dingtalk.verify(b"{}", without(headers, name), DINGTALK_SECRET, now=NOW), name)


def test_wecom_signature_and_the_official_sample() -> None:
    keys = wecom.Keys.of(WECOM["token"], WECOM["key"], WECOM["corp"])
    query, echostr = without(WECOM_ECHO, "echostr"), WECOM_ECHO["echostr"]
    now = 1409659589
    wecom.verify(query, echostr, keys, now)
    assert wecom.decrypt(echostr, keys) == "1616140317555161061"
    other = wecom.Keys.of("another", WECOM["key"], WECOM["corp"])
    rejects(lambda: wecom.verify(query, echostr, other, now), "does not match")
    rejects(lambda: wecom.verify(query, echostr, keys, now + 301), "replay")
    rejects(lambda: wecom.verify(query, echostr[:-4] + "AAA=", keys, now), "does not match")
    for name in query:
        rejects(lambda name=name: wecom.verify(without(query, name), echostr, keys, now), name)
    elsewhere = wecom.Keys.of(WECOM["token"], WECOM["key"], "another-corp")
    rejects(lambda: wecom.decrypt(echostr, elsewhere), "corp id")


def test_teams_signature() -> None:
    teams.verify(TEAMS_BODY, {"Authorization": TEAMS_AUTH}, TEAMS_TOKEN, now=NOW)
    other_token = base64.b64encode(b"another-32-byte-security-token!!").decode()
    rejects(lambda: teams.verify(TEAMS_BODY, {"Authorization": TEAMS_AUTH}, other_token, now=NOW), "does not match")
    rejects(lambda: teams.verify(TEAMS_BODY + b" ", {"Authorization": TEAMS_AUTH}, TEAMS_TOKEN, now=NOW))
    rejects(lambda: teams.verify(TEAMS_BODY, {}, TEAMS_TOKEN, now=NOW), "Authorization")
    old = {"timestamp": "2023-11-14T22:00:00.000Z"}
    rejects(lambda: teams.check_time(old, now=NOW), "replay")
    teams.check_time({"timestamp": "2023-11-14T22:12:00.000Z"}, now=NOW)


def test_webhook_signature() -> None:
    webhook.verify(HOOK_BODY, {"X-KB-Signature": HOOK_SIGNATURE}, HOOK_SECRET, now=NOW)
    rejects(lambda: webhook.verify(HOOK_BODY, {"X-KB-Signature": HOOK_SIGNATURE}, "other", now=NOW))
    rejects(lambda: webhook.verify(b'{"text":"503 UF"}', {"X-KB-Signature": HOOK_SIGNATURE}, HOOK_SECRET, now=NOW))
    rejects(lambda: webhook.verify(HOOK_BODY, {}, HOOK_SECRET, now=NOW), "X-KB-Signature")
    rejects(lambda: webhook.check_time({"timestamp": NOW - 301}, now=NOW), "replay")
    webhook.check_time({"timestamp": NOW - 10}, now=NOW)


# --- The adapters over HTTP.

SECRETS = {
    "slack_signing_secret": "slack-secret",
    "feishu_verification_token": FEISHU_TOKEN,
    "feishu_encrypt_key": FEISHU_KEY,
    "dingtalk_app_secret": DINGTALK_SECRET,
    "wecom_token": WECOM["token"],
    "wecom_encoding_aes_key": WECOM["key"],
    "wecom_corp_id": WECOM["corp"],
    "teams_security_token": TEAMS_TOKEN,
    "webhook_secret": HOOK_SECRET,
    "site_url": "https://kb.example.org/",
}
ZH_PASTE = f"网关返回 503，日志如下：\n{UH_PASTE}"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with api_client(**SECRETS) as client:
        yield client


def slack_request(text: str, secret: str = "slack-secret", stamp: int = NOW) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"command": "/kb", "text": text, "user_id": "U1"}).encode()
    signature = slack.SignatureVerifier(secret).generate_signature(timestamp=str(stamp), body=body)
    headers = {
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": str(signature),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return body, headers


def test_disabled_adapters_are_404() -> None:
    with api_client() as bare:
        for path in ("slack", "feishu", "dingtalk", "wecom", "teams", "webhook"):
            response = bare.post(f"/v1/chatops/{path}", content=b"{}")
            assert response.status_code == 404 and "disabled" in response.json()["detail"], path
        assert bare.get("/v1/chatops/wecom").status_code == 404


def test_bad_signatures_are_401_problems(client: TestClient) -> None:
    body, headers = slack_request(UH_PASTE, secret="wrong")
    attempts = [
        ("slack", body, headers),
        ("slack", *slack_request(UH_PASTE, stamp=NOW - 600)),
        ("feishu", FEISHU_BODY, without(FEISHU_HEADERS, "X-Lark-Signature")),
        ("dingtalk", b'{"text": {"content": "503"}}', {"timestamp": "1700000000000", "sign": "AAAA"}),
        ("teams", TEAMS_BODY, {"Authorization": "HMAC AAAA"}),
        ("webhook", HOOK_BODY, {"X-KB-Signature": "sha256=00"}),
        ("wecom", b"<xml><Encrypt>abc</Encrypt></xml>", {}),
    ]
    for path, content, sent in attempts:
        response = client.post(f"/v1/chatops/{path}", content=content, headers=sent)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_slack_answers_ephemeral_unless_public(client: TestClient) -> None:
    private = client.post("/v1/chatops/slack", content=slack_request(UH_PASTE)[0], headers=slack_request(UH_PASTE)[1])
    reply = private.json()
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["text"]["text"].startswith('503 "no healthy upstream"')
    text = json.dumps(reply["blocks"])
    assert "subset-no-healthy-upstream" in text and "-n default" in text  # a fix command filled from the paste
    assert "https://kb.example.org/runbooks/subset-no-healthy-upstream.html" in text
    public = client.post("/v1/chatops/slack", content=(s := slack_request(f"public {UH_PASTE}"))[0], headers=s[1])
    assert public.json()["response_type"] == "in_channel"
    empty = client.post("/v1/chatops/slack", content=(e := slack_request(""))[0], headers=e[1])
    assert empty.status_code == 200 and "Paste an error" in empty.json()["text"]


def test_slack_blocks_stay_within_block_kit_limits() -> None:
    huge = answer.Answer(
        "en",
        True,
        "x",
        "T" * 500,
        "S" * 10_000,
        "high",
        ("w" * 5000,) * 100,
        ("kubectl " + "a" * 5000,) * 20,
        ("fix " * 2000,),
        "https://kb.example.org/x/",
    )
    reply = slack.reply(huge, public=False)
    assert len(reply["blocks"]) <= slack.BLOCKS_MAX and len(reply["text"]) <= slack.FALLBACK_MAX
    assert len(reply["blocks"][0]["text"]["text"]) <= slack.HEADER_MAX
    assert all(len(b["text"]["text"]) <= slack.SECTION_MAX for b in reply["blocks"] if b["type"] == "section")


def feishu_signed(document: dict[str, object], stamp: int = NOW) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"encrypt": feishu.encrypt(json.dumps(document).encode(), FEISHU_KEY, b"\x07" * 16)}).encode()
    nonce = "n0nce"
    signature = hashlib.sha256(f"{stamp}{nonce}{FEISHU_KEY}".encode() + body).hexdigest()
    return body, {"X-Lark-Request-Timestamp": str(stamp), "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": signature}


def feishu_message(text: str, token: str = FEISHU_TOKEN) -> dict[str, object]:
    content = json.dumps({"text": f"@_user_1 {text}"})
    return {
        "schema": "2.0",
        "header": {"token": token, "event_type": "im.message.receive_v1"},
        "event": {"message": {"message_type": "text", "content": content, "chat_id": "oc_1"}},
    }


def test_feishu_challenge_and_encrypted_message(client: TestClient) -> None:
    challenge = {
        "encrypt": feishu.encrypt(
            json.dumps({"type": "url_verification", "challenge": "c-123", "token": FEISHU_TOKEN}).encode(),
            FEISHU_KEY,
            b"\x02" * 16,
        )
    }
    assert client.post("/v1/chatops/feishu", json=challenge).json() == {"challenge": "c-123"}
    wrong_token = {
        "encrypt": feishu.encrypt(
            json.dumps({"type": "url_verification", "challenge": "c", "token": "guess"}).encode(),
            FEISHU_KEY,
            b"\x02" * 16,
        )
    }
    assert client.post("/v1/chatops/feishu", json=wrong_token).status_code == 401
    body, headers = feishu_signed(feishu_message(ZH_PASTE))
    card = client.post("/v1/chatops/feishu", content=body, headers=headers).json()
    assert card["msg_type"] == "interactive"
    assert card["card"]["header"]["title"]["content"].startswith("DestinationRule 子集选不到 Pod")  # asked in Chinese
    url = card["card"]["elements"][-1]["actions"][0]["url"]
    assert url.endswith("/runbooks/subset-no-healthy-upstream.html?lang=zh")
    body, headers = feishu_signed(feishu_message(UH_PASTE, token="guess"))
    assert client.post("/v1/chatops/feishu", content=body, headers=headers).status_code == 401
    body, headers = feishu_signed(feishu_message(UH_PASTE), stamp=NOW - 3600)
    assert client.post("/v1/chatops/feishu", content=body, headers=headers).status_code == 401
    plain = json.dumps(feishu_message(UH_PASTE)).encode()
    assert client.post("/v1/chatops/feishu", content=plain, headers=headers).status_code == 401


def test_dingtalk_markdown_reply(client: TestClient) -> None:
    headers = {"timestamp": "1700000000000", "sign": DINGTALK_SIGN}
    reply = client.post(
        "/v1/chatops/dingtalk", json={"msgtype": "text", "text": {"content": UH_PASTE}}, headers=headers
    ).json()
    assert reply["msgtype"] == "markdown" and "subset-no-healthy-upstream" in reply["markdown"]["text"]
    assert reply["markdown"]["title"].startswith('503 "no healthy upstream"')


def test_wecom_url_check_and_encrypted_message(client: TestClient) -> None:
    client.app.state.clock = lambda: 1409659589.0  # type: ignore[attr-defined]
    try:
        echoed = client.get("/v1/chatops/wecom", params=WECOM_ECHO)
    finally:
        client.app.state.clock = lambda: float(NOW)  # type: ignore[attr-defined]
    assert echoed.status_code == 200 and echoed.text == "1616140317555161061"
    keys = wecom.Keys.of(WECOM["token"], WECOM["key"], WECOM["corp"])
    inner = (
        f"<xml><ToUserName><![CDATA[{WECOM['corp']}]]></ToUserName><FromUserName><![CDATA[zhangsan]]>"
        f"</FromUserName><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{ZH_PASTE}]]></Content></xml>"
    )
    encrypted = wecom.encrypt(inner, keys)
    query = {
        "timestamp": str(NOW),
        "nonce": "42",
        "msg_signature": wecom.msg_signature(keys.token, str(NOW), "42", encrypted),
    }
    body = f"<xml><ToUserName><![CDATA[{WECOM['corp']}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    response = client.post("/v1/chatops/wecom", params=query, content=body)
    assert response.status_code == 200, response.text
    outer = wecom.xml_fields(response.text)
    assert outer["MsgSignature"] == wecom.msg_signature(
        keys.token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"]
    )
    inner_reply = wecom.decrypt(outer["Encrypt"], keys)
    reply = wecom.xml_fields(inner_reply)
    assert reply["ToUserName"] == "zhangsan" and reply["MsgType"] == "text"
    assert reply["Content"].startswith("DestinationRule 子集选不到 Pod")  # asked in Chinese
    assert "**" not in reply["Content"] and "`" not in reply["Content"]
    tampered = body.replace(encrypted[:8], "AAAAAAAA")
    assert client.post("/v1/chatops/wecom", params=query, content=tampered).status_code == 401
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>'
    )
    assert client.post("/v1/chatops/wecom", params=query, content=bomb).status_code == 422


def test_wecom_text_reply_fits_2048_bytes() -> None:
    keys = wecom.Keys.of(WECOM["token"], WECOM["key"], WECOM["corp"])
    huge = answer.Answer("zh", True, "x", "标题" * 100, "很长的摘要。" * 2000, "high", ("证据",) * 200)
    reply = wecom.xml_fields(
        wecom.decrypt(wecom.xml_fields(wecom.reply_xml(huge, "u", keys, "1", "2"))["Encrypt"], keys)
    )
    assert reply["MsgType"] == "text"
    assert len(reply["Content"].encode("utf-8")) <= wecom.TEXT_MAX_BYTES and reply["Content"].endswith("…")


def test_teams_reply(client: TestClient) -> None:
    document = {"type": "message", "text": f"<at>kb</at> {UH_PASTE}", "timestamp": "2023-11-14T22:13:00.000Z"}
    body = json.dumps(document).encode()
    reply = client.post(
        "/v1/chatops/teams", content=body, headers={"Authorization": teams.signature(body, TEAMS_TOKEN)}
    )
    assert reply.status_code == 200 and reply.json()["type"] == "message"
    assert "subset-no-healthy-upstream" in reply.json()["text"]


def test_webhook_json_and_markdown(client: TestClient) -> None:
    body = json.dumps({"text": UH_PASTE, "timestamp": NOW}).encode()
    headers = {"X-KB-Signature": webhook.signature(body, HOOK_SECRET), "Content-Type": "application/json"}
    model = client.post("/v1/chatops/webhook", content=body, headers=headers).json()
    assert model["id"] == "subset-no-healthy-upstream" and model["found"] and model["language"] == "en"
    assert model["confidence"] == "high" and model["why"] and model["diagnosis"]
    assert model["url"] == "https://kb.example.org/runbooks/subset-no-healthy-upstream.html"
    page = client.post("/v1/chatops/webhook", content=body, headers=headers | {"Accept": "text/markdown"})
    assert page.headers["content-type"].startswith("text/markdown") and page.text.startswith("**503")
    stale = json.dumps({"text": UH_PASTE, "timestamp": NOW - 3600}).encode()
    replayed = client.post(
        "/v1/chatops/webhook", content=stale, headers={"X-KB-Signature": webhook.signature(stale, HOOK_SECRET)}
    )
    assert replayed.status_code == 401


def test_answer_language_and_no_match(client: TestClient) -> None:
    stray = json.dumps({"text": f"{UH_PASTE} 中"}).encode()  # one Han character in an English paste
    english = client.post(
        "/v1/chatops/webhook", content=stray, headers={"X-KB-Signature": webhook.signature(stray, HOOK_SECRET)}
    )
    assert english.json()["language"] == "en" and not english.json()["title"].startswith("DestinationRule 子集")
    body = json.dumps({"text": "the build pipeline is green today"}).encode()
    reply = client.post(
        "/v1/chatops/webhook", content=body, headers={"X-KB-Signature": webhook.signature(body, HOOK_SECRET)}
    )
    assert reply.json()["found"] is False


def test_clip_never_fails() -> None:
    assert answer.clip("abcdef", 4) == "abc…" and answer.clip("abc", 4) == "abc"
    assert answer.clip_bytes("子集子集", 7) == "子…" and len(answer.clip_bytes("子" * 10, 2)) <= 2
    assert time.time() > NOW
