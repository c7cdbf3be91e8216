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


# Labels a case may carry for the per-group figures (`kb eval` reports each group next to the baseline).
GROUPS = ("input", "area", "half")


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expect: tuple[str, ...]
    source: str | None = None
    groups: tuple[tuple[str, str], ...] = ()

    def group(self, name: str) -> str | None:
        return dict(self.groups).get(name)


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
    """Cases from a loaded evaluation file; anything malformed is a UsageError naming the case.

    The file is a list of cases, or a mapping whose `cases` key holds that list (other keys, such as a
    field corpus's list of failure modes no runbook covers yet, are for readers and ignored here).
    """
    if isinstance(data, dict) and "cases" in data:
        data = data["cases"]
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
        source = item.get("source")
        groups = tuple((name, str(item[name])) for name in GROUPS if isinstance(item.get(name), str | int))
        cases.append(
            Case(str(item.get("id", number)), text, tuple(expect), source if isinstance(source, str) else None, groups)
        )
    if not cases:
        raise UsageError("the evaluation file has no cases")
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise UsageError(f"case {case.id}: the id is used twice")
        seen.add(case.id)
    return cases


def in_half(cases: Sequence[Case], half: str) -> list[Case]:
    """The cases labelled `half: HALF`; a half no case carries is a UsageError naming the halves there are."""
    chosen = [case for case in cases if case.group("half") == half]
    if not chosen:
        halves = sorted({value for case in cases if (value := case.group("half")) is not None})
        there = f"the halves are {', '.join(halves)}" if halves else "no case carries a `half` label"
        raise UsageError(f"no case is in half {half!r}: {there}")
    return chosen


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


def calibration(outcomes: Sequence[Outcome]) -> dict[str, float | None]:
    """How many positives get a high-confidence first answer, how often it is right, and how many negatives
    get a medium or high one (a non-mesh paste should get neither)."""
    positives = [o for o in outcomes if o.case.expect]
    negatives = [o for o in outcomes if not o.case.expect]
    high = [o for o in positives if o.confidence[:1] == (Confidence.HIGH.value,)]
    answered = [o for o in negatives if o.confidence[:1] and o.confidence[0] != Confidence.LOW.value]

    def share(count: int, total: int) -> float | None:
        return round(count / total, 4) if total else None

    return {
        "high_share": share(len(high), len(positives)),
        "high_precision": share(sum(o.rank == 1 for o in high), len(high)),
        "negatives_answered": share(len(answered), len(negatives)),
    }


def latency(outcomes: Sequence[Outcome]) -> dict[str, float]:
    millis = sorted(o.seconds * 1000 for o in outcomes)
    p95 = millis[min(len(millis) - 1, round(0.95 * (len(millis) - 1)))]
    return {"p50": round(statistics.median(millis), 2), "p95": round(p95, 2)}


def evaluate(cases: Sequence[Case], library: Library, holdout_sources: bool = False) -> dict[str, Any]:
    """The whole report `kb eval --json` prints.

    With `holdout_sources`, a case whose source thread a runbook cites or took an example from is matched,
    and answered by the baseline, with that thread's examples and references left out (see kb.holdout).
    """
    check_expectations(cases, library.catalog.ids)
    held_out = 0
    if holdout_sources:
        ours, baseline, held_out = _held_out_runs(cases, library)
    else:
        ours = run_matcher(cases, library)
        baseline = run_baseline(cases, library)
    report = {
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
        "calibration": calibration(ours),
        "groups": groups(ours, baseline),
    }
    if holdout_sources:
        report["holdout_sources"] = {"cases_held_out": held_out}
    return report


def groups(ours: Sequence[Outcome], baseline: Sequence[Outcome]) -> dict[str, dict[str, dict[str, Any]]]:
    """The metrics of kb and the baseline per value of each label the cases carry (input kind, area, half)."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for name in GROUPS:
        values = sorted({value for o in ours if (value := o.case.group(name)) is not None})
        if not values:
            continue
        found[name] = {}
        for value in values:
            mine = [o for o in ours if o.case.group(name) == value]
            theirs = [o for o in baseline if o.case.group(name) == value]
            found[name][value] = {
                "cases": len(mine),
                "kb": metrics(mine),
                "baseline": metrics(theirs),
                "calibration": calibration(mine),
            }
    return found


def _held_out_runs(cases: Sequence[Case], library: Library) -> tuple[list[Outcome], list[Outcome], int]:
    from kb.holdout import plan, without_source  # the hold-out builds libraries; plain `kb eval` never needs it

    steps = plan([case.source for case in cases], library)
    ours: dict[int, Outcome] = {}
    theirs: dict[int, Outcome] = {}

    def run(numbers: Sequence[int], used: Library) -> None:
        batch = [cases[n] for n in numbers]
        for n, mine, base in zip(numbers, run_matcher(batch, used), run_baseline(batch, used), strict=True):
            ours[n], theirs[n] = mine, base

    run(steps.shared, library)
    for key, numbers in steps.held_out.items():
        held = without_source(library, key)
        try:
            run(numbers, held)
        finally:
            held.close()
    order = range(len(cases))
    return [ours[n] for n in order], [theirs[n] for n in order], len(cases) - len(steps.shared)


def groups_page(report: dict[str, Any]) -> str:
    """The per-group lines of `kb eval`: top-1 / top-3 of kb and the baseline for each input kind, area, half."""
    lines: list[str] = []
    if "holdout_sources" in report:
        lines += ["", f"held out: {report['holdout_sources']['cases_held_out']} cases matched without their source"]
    cal = report.get("calibration", {})
    lines += [f"high confidence: {_cell(cal.get('high_share'))} of positives, precision "
              f"{_cell(cal.get('high_precision'))}; negatives answered medium or high: "
              f"{_cell(cal.get('negatives_answered'))}"]  # fmt: skip
    for name, values in report.get("groups", {}).items():
        lines += ["", f"{'by ' + name:<16}{'cases':>6}{'top1':>7}{'top3':>7}{'BM25@1':>8}{'BM25@3':>8}{'neg':>7}"
                  f"{'high':>7}{'prec':>7}"]  # fmt: skip
        for value, row in values.items():
            kb, base, cal = row["kb"], row["baseline"], row["calibration"]
            cells = [kb["top1"], kb["top3"], base["top1"], base["top3"], kb["negatives_pass"]]
            cells += [cal["high_share"], cal["high_precision"]]
            lines.append(f"  {value:<14}{row['cases']:>6}" + "".join(f"{_cell(c):>7} " for c in cells).rstrip())
    return "\n".join(lines) + "\n"


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
