from __future__ import annotations

from kb.render import _markdown, runbook_table


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
        "  ```",
        "  kubectl get pods   -o wide",
        "  ```",
    ]


def test_markdown_wraps_long_paragraphs_to_width() -> None:
    lines = _markdown("word " * 40, width=30)
    assert all(len(line) <= 30 for line in lines)
    assert len(lines) > 5


def test_empty_table_says_so() -> None:
    assert runbook_table([]) == "no runbooks match\n"


def test_manifest_header_says_how_to_apply_it() -> None:
    from kb.render import _how_to_apply

    operator = "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec: {}\n"
    rule = "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: x\n"
    assert _how_to_apply(operator) == "save as FILE, then: istioctl install -f FILE"
    assert _how_to_apply(rule) == "apply this YAML (kubectl apply -f -)"
    assert _how_to_apply(operator + "---\n" + rule) == "apply this YAML (kubectl apply -f -)"
