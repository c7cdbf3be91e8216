from __future__ import annotations

import pytest

from kb.render import _how_to_apply, _markdown, _width, _wrap, runbook_table


def test_markdown_paragraphs_are_reflowed_and_code_kept() -> None:
    text = (
        "First line of a paragraph\nthat continues here.\n\n"
        "- an item\n  continued\n- second item\n\n"
        "```\nkubectl get pods   -o wide\n```\n"
    )
    assert _markdown(text, width=60) == [
        "  First line of a paragraph that continues here.",
        "",
        "  - an item continued",
        "  - second item",
        "",
        "      kubectl get pods   -o wide",
    ]


def test_markdown_lists_then_paragraph_and_ordered_lists() -> None:
    text = "Reasons:\n\n- one\n- two\n\nAfter the list.\n\n1. first\n2. second\n"
    assert _markdown(text, width=60) == [
        "  Reasons:",
        "",
        "  - one",
        "  - two",
        "",
        "  After the list.",
        "",
        "  1. first",
        "  2. second",
    ]


def test_wrap_measures_chinese_by_display_width() -> None:
    lines = _wrap("每个代理里的 istio-agent 反复连不上 istiod 的 15012 端口，证书下发失败。" * 3, width=30)
    assert all(_width(line) <= 30 for line in lines)
    assert "".join(line.strip() for line in lines).count("istio-agent") == 3


def test_wrap_keeps_words_whole_and_cuts_only_those_wider_than_a_line() -> None:
    assert _wrap("see the analyzer page now", width=12) == ["  see the", "  analyzer", "  page now"]
    url = "https://istio.io/latest/docs/reference/config/analysis/ist0173/"
    lines = _wrap(f"see {url} now", width=20)
    assert all(_width(line) <= 20 for line in lines)
    assert "".join(line.strip() for line in lines) == f"see{url} now"


@pytest.mark.parametrize("width", range(16, 48))
def test_chinese_punctuation_never_starts_a_line(width: int) -> None:
    text = "非网格客户端访问 STRICT 服务时连接被重置。这是因为服务端只接受双向 TLS，客户端发送的是明文（HTTP）请求。"
    lines = _wrap(text, width=width)
    assert all(_width(line) <= width for line in lines)
    assert not any(line.strip()[0] in "。，、）" for line in lines)
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")


def test_markdown_wraps_long_paragraphs_to_width() -> None:
    lines = _markdown("word " * 40, width=30)
    assert all(len(line) <= 30 for line in lines)
    assert len(lines) > 5


def test_empty_table_says_so() -> None:
    assert runbook_table([]) == "no runbooks match\n"


def test_manifest_header_says_how_to_apply_it() -> None:
    operator = "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec: {}\n"
    rule = "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: x\n"
    assert _how_to_apply(operator) == "save as FILE, then: istioctl install -f FILE"
    assert _how_to_apply(rule) == "apply this YAML (kubectl apply -f -)"
    assert _how_to_apply(operator + "---\n" + rule) == "apply this YAML (kubectl apply -f -)"
