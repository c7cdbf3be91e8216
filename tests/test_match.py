from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb.documents import cited_pages
from kb.library import Library, open_library
from kb.matcher import match, normalize
from kb.rank import CITATION_RULE, CITATION_WEIGHT, Confidence

from .conftest import DATA, RUNBOOKS

GRID: list[dict[str, Any]] = yaml.safe_load((DATA / "match_cases.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    opened = open_library(RUNBOOKS, tmp_path_factory.mktemp("cache"))
    yield opened
    opened.close()


@pytest.mark.parametrize("row", GRID, ids=lambda row: row["name"])
def test_golden_grid(library: Library, row: dict[str, Any]) -> None:
    report = match(row["text"], library)
    found = {(s.kind.value, s.value) for s in report.signals}
    assert {tuple(pair) for pair in row["signals"]} <= found
    if row["top"] is None:
        assert all(r.confidence is not Confidence.HIGH for r in report.results)
    else:
        assert report.results and report.results[0].runbook.id == row["top"]
        assert report.confident


def test_grid_has_rows_that_match_nothing() -> None:
    assert sum(row["top"] is None for row in GRID) >= 5


def test_evidence_names_signatures_and_lines(library: Library) -> None:
    text = "first line\n" + GRID[3]["text"]
    best = match(text, library).results[0]
    assert best.confidence is Confidence.HIGH
    by_name = {e.signature: e for e in best.evidence}
    assert by_name["uh-on-subset-cluster"].lines == (2,)
    assert "response_flag = UH" in by_name["uh-on-subset-cluster"].matched


def test_a_link_to_a_page_runbooks_cite_is_shared_evidence_for_them(library: Library) -> None:
    citing: dict[str, list[str]] = {}
    for runbook in library.catalog:
        for page in cited_pages(runbook):
            citing.setdefault(page, []).append(runbook.id)
    istio_pages = sorted((page, ids) for page, ids in citing.items() if page.startswith("istio.io/"))
    page, (only,) = next((page, ids) for page, ids in istio_pages if len(ids) == 1)
    link = f"https://istio.io/v1.20/{page.removeprefix('istio.io/')}/#fix"
    report = match(f"I followed {link} and it still fails", library)
    best = report.results[0]
    assert best.runbook.id == only
    assert [e.weight for e in best.evidence if e.signature == CITATION_RULE] == [CITATION_WEIGHT]
    assert best.confidence is Confidence.LOW  # a link is a pointer, not evidence of the incident

    shared, citers = next((page, ids) for page, ids in istio_pages if len(ids) > 2)
    report = match(f"see https://istio.io/latest/{shared.removeprefix('istio.io/')}/", library)
    weights = {r.runbook.id: e.weight for r in report.results for e in r.evidence if e.signature == CITATION_RULE}
    assert weights and set(weights) <= set(citers)
    assert all(weight == CITATION_WEIGHT / len(citers) for weight in weights.values())


def test_commands_come_back_with_placeholders_filled(library: Library) -> None:
    report = match(GRID[3]["text"], library)
    values = report.values
    assert values["CLUSTER"] == "outbound|80|v1|review.review.svc.cluster.local"
    assert values["SERVICE_NAMESPACE"] == "review"
    # The matched cause's steps lead, so read them all: this test is about filling, not order.
    commands = report.results[0].commands(values, steps=10)["diagnosis"]
    assert any('--cluster "outbound|80|v1|review.review.svc.cluster.local"' in c for c in commands)
    assert all("$SERVICE_NAMESPACE" not in c for c in commands)


def test_an_exclusion_removes_a_runbook(library: Library) -> None:
    # "no healthy upstream" inside an xDS stream error is istiod being unreachable, not a subset problem.
    text = "warning\tenvoy config\tStreamAggregatedResources gRPC config stream closed: 14, no healthy upstream"
    ids = [r.runbook.id for r in match(text, library).results]
    assert "subset-no-healthy-upstream" not in ids


def test_json_report_has_the_contract_keys(library: Library) -> None:
    data = match(GRID[0]["text"], library, limit=3).to_json()
    assert set(data) >= {"results", "signals"}
    assert len(data["results"]) <= 3
    assert set(data["results"][0]) >= {"id", "title", "score", "confidence", "evidence"}
    assert data["results"][0]["evidence"][0]["lines"]


def test_normalize_unifies_line_ends_and_drops_control_characters() -> None:
    assert normalize("a\r\nb\rc\x00\x1b[31m\td") == "a\nb\nc[31m\td"


@pytest.mark.parametrize(
    "text",
    ["", " \n ", "\x00\x01\x02", 'NOT (a:b "c" OR [x TO y] ^2 ~3 * ?', "a" * 200_000, "\ufffd" * 1000, "日志" * 5000],
)
def test_odd_text_gives_a_report_not_an_error(library: Library, text: str) -> None:
    report = match(text, library)
    assert all(r.confidence is not Confidence.HIGH for r in report.results)


def test_the_library_answers_from_a_directory_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "runbooks").mkdir()
    for source in RUNBOOKS.rglob("subset-no-healthy-upstream.yaml"):
        (tmp_path / "runbooks" / source.name).write_bytes(source.read_bytes())
    own = open_library(tmp_path / "runbooks", tmp_path / "cache")
    try:
        assert [r.runbook.id for r in match(GRID[3]["text"], own).results] == ["subset-no-healthy-upstream"]
    finally:
        own.close()


@pytest.mark.parametrize("row", GRID, ids=lambda row: row["name"])
def test_results_never_put_a_weaker_confidence_above_a_stronger_one(library: Library, row: dict[str, Any]) -> None:
    order = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}
    tiers = [order[r.confidence] for r in match(row["text"], library, limit=10).results]
    assert tiers == sorted(tiers)
