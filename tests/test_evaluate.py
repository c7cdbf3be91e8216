from __future__ import annotations

import pytest

from kb.errors import UsageError
from kb.evaluate import Case, Outcome, latency, metrics, parse_cases


def outcome(expect: tuple[str, ...], got: tuple[str, ...], confidence: tuple[str, ...] = (), ms: float = 1) -> Outcome:
    return Outcome(Case("c", "text", expect), got, confidence or tuple("low" for _ in got), ms / 1000)


def test_metrics_over_positives_and_negatives() -> None:
    outcomes = [
        outcome(("a",), ("a", "b")),  # rank 1
        outcome(("a", "x"), ("b", "x", "a")),  # rank 2 via the second accepted id
        outcome(("a",), ("b", "c", "d", "a")),  # rank 4: outside top-3, counts for MRR
        outcome(("a",), ()),  # not found
        outcome((), ("b",), ("medium",)),  # negative, passes
        outcome((), ("b",), ("high",)),  # negative, fails
    ]
    assert metrics(outcomes) == {
        "top1": 0.25,
        "top3": 0.5,
        "mrr": round((1 + 0.5 + 0.25) / 4, 4),
        "negatives_pass": 0.5,
    }


def test_metrics_without_negatives_say_so() -> None:
    assert metrics([outcome(("a",), ("a",))])["negatives_pass"] is None


def test_latency_percentiles() -> None:
    assert latency([outcome(("a",), ("a",), ms=ms) for ms in range(1, 101)]) == {"p50": 50.5, "p95": 95.0}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"a": 1}, "YAML list"),
        ([], "no cases"),
        (["text"], "case 1: expected a mapping"),
        ([{"id": "x", "text": "", "expect": []}], "case x: `text`"),
        ([{"id": "x", "text": "t", "expect": "a"}], "case x: `expect`"),
        ([{"id": "x", "text": "t", "expect": [1]}], "case x: `expect`"),
    ],
)
def test_parse_cases_names_the_bad_case(data: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_cases(data)


def test_parse_cases_keeps_ids_text_and_expectations() -> None:
    cases = parse_cases([{"id": "c1", "text": "503 UH", "expect": ["subset-no-healthy-upstream"], "note": "x"}])
    assert cases == [Case("c1", "503 UH", ("subset-no-healthy-upstream",))]
