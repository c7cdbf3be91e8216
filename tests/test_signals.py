from __future__ import annotations

import pkgutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kb.signals
from kb.signals import EXTRACTORS, Paste, extract
from kb.signals.base import MAX_LINES_PER_SIGNAL
from kb.vocabulary import SignalKind

from .conftest import DATA

CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "signal_cases.yaml").read_text(encoding="utf-8"))
BY_NAME = {extractor.name: extractor for extractor in EXTRACTORS}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['extractor']}:{c['text'][:40]}")
def test_golden_grid(case: dict[str, Any]) -> None:
    found = {(s.kind.value, s.value, s.line) for s in BY_NAME[case["extractor"]].extract(Paste.of(case["text"]))}
    assert found == {tuple(row) for row in case["expect"]}


def test_every_module_is_registered_once_and_sorted() -> None:
    modules = {m.name for m in pkgutil.iter_modules([str(Path(kb.signals.__file__).parent)])} - {"base"}
    names = [extractor.name for extractor in EXTRACTORS]
    assert sorted(modules) == names == sorted(names)
    assert len(set(names)) == len(names)
    assert all(e.__name__.rsplit(".", 1)[1] == e.name for e in EXTRACTORS)  # type: ignore[attr-defined]


@pytest.mark.parametrize("extractor", EXTRACTORS, ids=lambda e: e.name)
def test_every_extractor_has_a_description_and_golden_rows_both_ways(extractor: Any) -> None:
    assert extractor.description and "\n" not in extractor.description
    rows = [case for case in CASES if case["extractor"] == extractor.name]
    assert any(row["expect"] for row in rows), "needs a row that finds something"
    assert any(not row["expect"] for row in rows), "needs a row that must find nothing"


def test_extractors_emit_only_vocabulary_kinds_and_every_kind_is_produced() -> None:
    kinds = {row[0] for case in CASES for row in case["expect"]}
    assert kinds <= {kind.value for kind in SignalKind}
    assert kinds == {kind.value for kind in SignalKind}


def test_extract_runs_all_extractors_and_drops_repeats() -> None:
    line = "curl: (56) Recv failure: Connection reset by peer\n"
    signals = extract(Paste.of(line * 20))
    curl = [s for s in signals if s.kind is SignalKind.CURL_EXIT]
    assert [(s.value, s.line) for s in curl] == [("56", n) for n in range(1, MAX_LINES_PER_SIGNAL + 1)]
    assert {s.kind for s in signals} == {SignalKind.CURL_EXIT, SignalKind.DIAL_ERROR}


def test_a_signal_on_many_distinct_lines_keeps_a_few_line_numbers() -> None:
    text = "".join(f"curl: (7) Failed to connect to host{n} port 80\n" for n in range(12))
    lines = [s.line for s in extract(Paste.of(text)) if s.kind is SignalKind.CURL_EXIT]
    assert lines == list(range(1, MAX_LINES_PER_SIGNAL + 1))


def test_offsets_map_to_lines_on_long_lines_too() -> None:
    text = "x" * 100_000 + " curl: (60) SSL certificate problem\nnext\n\ncurl: (7) Failed"
    paste = Paste.of(text)
    assert [
        paste.line_at(0),
        paste.line_at(100_001),
        paste.line_at(text.index("next")),
        paste.line_at(len(text) - 1),
    ] == [1, 1, 2, 4]
    assert [(s.value, s.line) for s in extract(paste) if s.kind is SignalKind.CURL_EXIT] == [("60", 1), ("7", 4)]


HOSTILE = [
    "",
    "\x00" * 1000,
    "a" * 100_000,
    "[" * 50_000 + '"' * 50_000,
    "upstream connect error or disconnect/reset before headers. reset reason: " + "a " * 40_000,
    "(" * 20_000 + "outbound|" * 10_000,
    "\t".join(["2021-01-01T00:00:00Z", "error"] * 20_000),
    "503 " * 30_000 + "UH",
    "rbac_access_denied_matched_policy[" + "[" * 40_000,
    "1/2 " * 30_000,
    "{" + '"response_code":' * 20_000,
    "CN " + "openssl s_client " * 50_000,
    "$ curl https://a.example.com\n" + "*  subject: " + "CN=" * 50_000,
]


@pytest.mark.parametrize("extractor", EXTRACTORS, ids=lambda e: e.name)
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_handled_quickly(extractor: Any, text: str) -> None:
    started = time.perf_counter()
    signals = extractor.extract(Paste.of(text))
    # Generous bound: the failure this guards against is quadratic or exponential time (minutes).
    assert time.perf_counter() - started < 5
    assert all(isinstance(s.value, str) and s.line >= 1 for s in signals)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000))
def test_any_text_gives_well_formed_signals(text: str) -> None:
    paste = Paste.of(text)
    for signal in extract(paste):
        assert signal.kind in SignalKind
        assert 1 <= signal.line <= text.count("\n") + 1


FRAGMENTS = st.sampled_from(
    [
        '"',
        "[",
        "]",
        "{",
        "}",
        "|",
        ":",
        " ",
        "\t",
        "\n",
        "503",
        "UH",
        "UF,URX",
        "outbound|80|v1|",
        "curl: (",
        "reset reason: ",
        "code = ",
        "IST0101",
        ":15012",
        "1/2 Running 3",
        "x509: ",
        "SSL routines:",
        'webhook "',
        "type.googleapis.com/envoy.config.",
        "2021-01-01T00:00:00.000Z\terror\t",
        '] "GET / HTTP/1.1" ',
        # Not valid Unicode, and nesting no access-log record has (issue 15).
        "\ud800",
        "\udce9",
        '{"response_code": ' + "[" * 1500,
        "]" * 1500 + "}",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, max_size=400))
def test_syntax_soup_never_crashes(parts: list[str]) -> None:
    text = "".join(parts)
    for signal in extract(Paste.of(text)):
        assert 1 <= signal.line <= text.count("\n") + 1


def test_the_public_extract_signals_reads_crlf_text_like_match_does() -> None:
    import kb

    text = "status:\r\n  conditions:\r\n  - reason: FailedCreate\r\n"
    assert ("k8s_event_reason", "FailedCreate") in {(s.kind.value, s.value) for s in kb.extract_signals(text)}
