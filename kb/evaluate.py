"""`kb eval`: the matcher and a plain BM25 baseline measured on the same cases in one run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kb.documents import Document
from kb.errors import UsageError
from kb.library import Library
from kb.matcher import match
from kb.model import Runbook
from kb.rank import Confidence
from kb.search import SearchIndex

# Ranks looked at per case: top-3 and MRR need the first few; MRR counts anything found up to here.
RANKS = 10


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    case: Case
    got: tuple[str, ...]
    confidence: tuple[str, ...]
    seconds: float

    @property
    def rank(self) -> int | None:
        """1-based position of the first expected id in the results, None when absent."""
        return next((n for n, found in enumerate(self.got, 1) if found in self.case.expect), None)

    @property
    def passed(self) -> bool:
        if self.case.expect:
            return self.rank == 1
        return Confidence.HIGH.value not in self.confidence


def parse_cases(data: Any) -> list[Case]:
    """Cases from a loaded evaluation file; anything malformed is a UsageError naming the case."""
    if not isinstance(data, list):
        raise UsageError("an evaluation file is a YAML list of cases (id, text, expect)")
    cases = []
    for number, item in enumerate(data, 1):
        where = f"case {number}"
        if not isinstance(item, dict):
            raise UsageError(f"{where}: expected a mapping with id, text and expect")
        where = f"case {item.get('id', number)!s}"
        text, expect = item.get("text"), item.get("expect")
        if not isinstance(text, str) or not text.strip():
            raise UsageError(f"{where}: `text` must be a non-empty string")
        if not isinstance(expect, list) or not all(isinstance(i, str) for i in expect):
            raise UsageError(f"{where}: `expect` must be a list of runbook ids ([] for a non-mesh paste)")
        cases.append(Case(str(item.get("id", number)), text, tuple(expect)))
    if not cases:
        raise UsageError("the evaluation file has no cases")
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise UsageError(f"case {case.id}: the id is used twice")
        seen.add(case.id)
    return cases


def check_expectations(cases: Sequence[Case], known: Sequence[str]) -> None:
    """Every expected id must be a runbook: a typo would otherwise count as a silent failure."""
    for case in cases:
        unknown = [runbook_id for runbook_id in case.expect if runbook_id not in known]
        if unknown:
            raise UsageError(f"case {case.id}: unknown runbook id(s) in expect: {', '.join(unknown)}")


def full_text(runbook: Runbook) -> str:
    """Every word of a runbook, for the baseline: what a plain search engine would index."""
    return " ".join(_strings(runbook.model_dump(mode="json")))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def run_matcher(cases: Sequence[Case], library: Library) -> list[Outcome]:
    def one(case: Case) -> tuple[tuple[str, ...], tuple[str, ...]]:
        results = match(case.text, library, limit=RANKS).results
        return tuple(r.runbook.id for r in results), tuple(r.confidence.value for r in results)

    return _timed(cases, one)


def run_baseline(cases: Sequence[Case], library: Library) -> list[Outcome]:
    """Plain BM25: whoosh over each runbook's full text, every word of the case OR-ed, no signals."""
    documents = [Document(rb.id, rb.title, full_text(rb), "", ()) for rb in library.catalog]
    index = SearchIndex.in_memory(documents)
    try:
        # A plain search engine has no notion of confidence: whatever it returns, it asserts.
        return _timed(cases, lambda case: _asserted(index, case))
    finally:
        index.close()


def _asserted(index: SearchIndex, case: Case) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ids = tuple(hit.id for hit in index.plain_search(case.text, RANKS))
    return ids, tuple(Confidence.HIGH.value for _ in ids)


def _timed(cases: Sequence[Case], run: Callable[[Case], tuple[tuple[str, ...], tuple[str, ...]]]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        start = time.perf_counter()
        got, confidence = run(case)
        outcomes.append(Outcome(case, got, confidence, time.perf_counter() - start))
    return outcomes


def metrics(outcomes: Sequence[Outcome]) -> dict[str, float | None]:
    """top1, top3, MRR over positive cases; the negative pass rate; None where there are no such cases."""
    positives = [o for o in outcomes if o.case.expect]
    negatives = [o for o in outcomes if not o.case.expect]
    ranks = [o.rank for o in positives]

    def share(count: int, total: int) -> float | None:
        return round(count / total, 4) if total else None

    return {
        "top1": share(sum(r == 1 for r in ranks), len(positives)),
        "top3": share(sum(r is not None and r <= 3 for r in ranks), len(positives)),
        "mrr": round(sum(1 / r for r in ranks if r) / len(positives), 4) if positives else None,
        "negatives_pass": share(sum(o.passed for o in negatives), len(negatives)),
    }


def latency(outcomes: Sequence[Outcome]) -> dict[str, float]:
    millis = sorted(o.seconds * 1000 for o in outcomes)
    p95 = millis[min(len(millis) - 1, round(0.95 * (len(millis) - 1)))]
    return {"p50": round(statistics.median(millis), 2), "p95": round(p95, 2)}


def evaluate(cases: Sequence[Case], library: Library) -> dict[str, Any]:
    """The whole report `kb eval --json` prints."""
    check_expectations(cases, library.catalog.ids)
    ours = run_matcher(cases, library)
    baseline = run_baseline(cases, library)
    return {
        **metrics(ours),
        "baseline": metrics(baseline),
        "latency_ms": latency(ours),
        "baseline_latency_ms": latency(baseline),
        "counts": {
            "cases": len(cases),
            "positives": sum(bool(c.expect) for c in cases),
            "negatives": sum(not c.expect for c in cases),
        },
        "cases": [
            {"id": o.case.id, "expect": list(o.case.expect), "got": list(o.got), "confidence": list(o.confidence)}
            for o in ours
        ],
        "failures": [o.case.id for o in ours if not o.passed],
    }
