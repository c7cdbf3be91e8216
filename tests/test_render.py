from __future__ import annotations

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


def test_wrap_keeps_long_words_whole() -> None:
    url = "https://istio.io/latest/docs/reference/config/analysis/ist0173/"
    assert _wrap(f"see {url} now", width=20) == ["  see", f"  {url}", "  now"]


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
