"""`kb.language_of`: the one rule for "did the asker write Chinese", shared by the CLI, the API and the chat bots."""

from __future__ import annotations

import pytest

import kb
from kb.render import language

UH_LINE = '"GET / HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl/7.74.0" outbound|80|v1|node-service'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("熔断了", "zh"),  # a short Chinese chat message
        ("慢", "zh"),  # one character and nothing else
        ("503 了吗?", "zh"),
        ("网关 503", "zh"),
        (f"网关返回 503，日志如下：\n{UH_LINE}", "zh"),  # a Chinese question in front of an English paste
        (f"{UH_LINE} 中", "en"),  # an English paste holding one stray Han character
        ("upstream connect error, pod name app-中-1", "en"),
        ("gateway 503", "en"),
        ("", "en"),
        ("503 ，。", "en"),  # full-width punctuation alone is not Chinese
        ("\U00020000\U00020001 timeout", "zh"),  # extension B ideographs count as Han
    ],
)
def test_language_of(text: str, expected: str) -> None:
    assert kb.language_of(text) == expected


def test_the_cli_rule_is_the_same_rule() -> None:
    assert language("auto", "熔断了") == "zh" and language("auto", f"{UH_LINE} 中") == "en"
    assert language("en", "熔断了") == "en" and language("zh", "gateway") == "zh"
