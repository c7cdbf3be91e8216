"""paste -> ranked runbooks: extract signals, judge signatures, search the index, combine, explain."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from kb.calibration import SIDECAR_ONLY_IN_AMBIENT, ambient_only, clear_winner, mentions_mesh, strong_without_mesh
from kb.documents import exact_tokens
from kb.entities import Entity, fill, find_entities, first_values
from kb.model import Runbook, Step
from kb.rank import BM25_WEIGHT, Confidence, Evidence, Judgement, confidence_of, mesh_paste
from kb.signals import Paste, Signal, extract
from kb.versions import Release, for_release, holds, parse_range
from kb.vocabulary import DataPlane

if TYPE_CHECKING:
    from kb.library import Library
    from kb.search import Hit

DEFAULT_LIMIT = 5
# BM25 hits considered before combining with signature evidence: enough to reach past a few runbooks
# that share the paste's generic words.
BM25_CANDIDATES = 20
# Control characters other than tab and newline carry no meaning in a log and upset terminals.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A lone surrogate is not Unicode (a JSON `"\ud800"` escape, a file name Python could not decode); RE2 and
# every encoder refuse it, so it becomes U+FFFD like any other undecodable input.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Result:
    """One runbook for this paste, its score and confidence, and why it matched."""

    runbook: Runbook
    score: float
    confidence: Confidence
    evidence: tuple[Evidence, ...]
    bm25: float
    terms: tuple[str, ...]

    data_plane: str | None = None

    @property
    def causes(self) -> tuple[str, ...]:
        """The causes the evidence that held points to, strongest first."""
        return tuple(dict.fromkeys(e.cause for e in self.evidence if e.cause))

    def ordered(self, steps: Sequence[StepT]) -> list[StepT]:
        """Steps for the matched causes first, then the paste's data plane's, then the rest, each in order."""
        return order_steps(steps, self.causes, self.data_plane)

    def commands(self, values: dict[str, str], steps: int = 1) -> dict[str, list[str]]:
        """The first diagnosis and fix commands (for the matched cause first) with placeholders filled."""
        return {
            "diagnosis": [
                fill(c, values) for step in self.ordered(self.runbook.diagnosis)[:steps] for c in step.commands
            ],
            "fix": [fill(c, values) for step in self.ordered(self.runbook.fix)[:steps] for c in step.commands],
        }


@dataclass(frozen=True)
class MatchReport:
    results: tuple[Result, ...]
    signals: tuple[Signal, ...]
    entities: tuple[Entity, ...]

    @property
    def values(self) -> dict[str, str]:
        return first_values(self.entities)

    @property
    def confident(self) -> bool:
        """True when the best result is at least medium: `kb match` exits 1 otherwise."""
        return bool(self.results) and self.results[0].confidence is not Confidence.LOW

    def to_json(self) -> dict[str, Any]:
        values = self.values
        return {
            "confident": self.confident,
            "results": [_result_json(result, values) for result in self.results],
            "signals": [{"kind": s.kind.value, "value": s.value, "line": s.line} for s in self.signals],
            "entities": values,
        }


def _result_json(result: Result, values: dict[str, str]) -> dict[str, Any]:
    evidence: list[dict[str, Any]] = [
        {
            "signature": e.signature,
            "weight": e.weight,
            "matched": list(e.matched),
            "lines": list(e.lines),
            "note": e.note,
        }
        for e in result.evidence
    ]
    if result.terms:
        evidence.append({"signature": "text", "weight": round(result.bm25, 3), "matched": list(result.terms)})
    return {
        "id": result.runbook.id,
        "title": result.runbook.title,
        "score": round(result.score, 3),
        "confidence": result.confidence.value,
        "evidence": evidence,
        "summary": result.runbook.summary,
        "causes": list(result.causes),
        "commands": result.commands(values),
    }


StepT = TypeVar("StepT", bound=Step)


def order_steps(steps: Sequence[StepT], causes: Sequence[str], data_plane: str | None) -> list[StepT]:
    """Steps serving a matched cause first, then steps for the paste's data plane; ties keep their order.

    A step without `causes` serves every cause and a step without `data_planes` every data plane: they come
    after the targeted ones, never before. With no cause matched and no data plane shown, the order is the
    runbook's own.
    """

    def rank(step: StepT) -> tuple[int, int]:
        for_cause = min((causes.index(c) for c in step.causes if c in causes), default=len(causes))
        for_plane = 0 if data_plane is not None and data_plane in step.data_planes else 1
        return for_cause, for_plane

    return sorted(steps, key=rank)


_TIERS = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}


def normalize(text: str) -> str:
    """Line endings unified, control characters dropped, lone surrogates replaced; the rest is matched as pasted."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))


def match(text: str, library: Library, limit: int = DEFAULT_LIMIT, istio: Release | None = None) -> MatchReport:
    """Rank the library's runbooks for a paste or a typed symptom; with `istio`, only what holds for it."""
    paste = Paste.of(normalize(text))
    signals = extract(paste)
    judgements = library.scorer.judge(paste, signals)
    query = library.index.query_for(paste.text, exact_tokens(signals))
    hits = library.index.search(query.pairs, BM25_CANDIDATES)
    mesh = mesh_paste(signals)
    if istio is not None:
        judgements, hits = for_istio(library, judgements, hits, istio)
    planes = {s.value for s in signals if s.kind.value == "data_plane"}
    results = combine(
        library,
        judgements,
        hits,
        mesh=mesh,
        about_mesh=mesh or mentions_mesh(paste.text),
        ambient=ambient_only(planes, paste.text),
    )
    if istio is not None:
        results = [replace(r, runbook=for_release(r.runbook, istio).runbook) for r in results]
    # Evidence shows the words as pasted (`service`, not the index's stem `servic`).
    plane = _data_plane(signals)
    results = [replace(result, terms=query.shown(result.terms), data_plane=plane) for result in results[:limit]]
    return MatchReport(tuple(results[:limit]), tuple(signals), tuple(find_entities(paste)))


def for_istio(
    library: Library, judgements: dict[str, Judgement], hits: Sequence[Hit], istio: Release
) -> tuple[dict[str, Judgement], list[Hit]]:
    """Runbooks whose `applies_to.istio` admits `istio`, with only the evidence of signatures that hold for it."""
    admitted = {r.id for r in library.catalog if parse_range(r.applies_to.istio).admits(istio)}
    kept: dict[str, Judgement] = {}
    for runbook_id, judgement in judgements.items():
        if runbook_id not in admitted:
            continue
        limits = {s.name: s.istio for s in library.catalog.get(runbook_id).signatures}
        evidence = [e for e in judgement.evidence if holds(limits.get(e.signature), istio)]
        kept[runbook_id] = Judgement(evidence, judgement.excluded_by)
    return kept, [hit for hit in hits if hit.id in admitted]


def combine(
    library: Library,
    judgements: dict[str, Judgement],
    hits: Sequence[Hit],
    mesh: bool = False,
    about_mesh: bool = True,
    ambient: bool = False,
) -> list[Result]:
    """Declared evidence plus BM25 scaled to the best hit; excluded runbooks are dropped.

    `about_mesh` False (no mesh signal, no mesh word in the paste) makes an answer low unless its declared
    evidence alone is strong; see kb.calibration. `ambient` (the paste shows only the ambient data plane)
    lowers runbooks that apply to sidecars only.
    """
    by_id = {hit.id: hit for hit in hits}
    top = hits[0].score if hits else 0.0
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    results = []
    for runbook_id in dict.fromkeys([*judgements, *by_id]):
        judgement = judgements.get(runbook_id, Judgement())
        if judgement.excluded_by:
            continue
        hit = by_id.get(runbook_id)
        share = hit.score / top if hit and top > 0 else 0.0
        lead = (hit.score / runner_up if runner_up > 0 else float("inf")) if hit else 0.0
        terms = hit.terms if hit else ()
        confidence = confidence_of(judgement, share, len(terms), lead, mesh)
        if not about_mesh and not strong_without_mesh(judgement.weight_beyond_generic):
            confidence = Confidence.LOW
        score = judgement.weight + BM25_WEIGHT * share
        runbook = library.catalog.get(runbook_id)
        if ambient and _sidecar_only(runbook):
            score *= SIDECAR_ONLY_IN_AMBIENT
            if confidence is Confidence.HIGH:
                confidence = Confidence.MEDIUM
        evidence = tuple(sorted(judgement.evidence, key=lambda e: (-e.weight, e.signature)))
        results.append(Result(runbook, score, confidence, evidence, hit.score if hit else 0.0, terms))
    if about_mesh:
        _promote_clear_winner(results, mesh, ambient)
    # A high-confidence answer never ranks below a medium one: the order and the labels must agree.
    results.sort(key=lambda r: (_TIERS[r.confidence], -r.score, r.runbook.id))
    return results


def _sidecar_only(runbook: Runbook) -> bool:
    return DataPlane.AMBIENT not in runbook.applies_to.data_plane


def _promote_clear_winner(results: list[Result], mesh: bool = False, ambient: bool = False) -> None:
    """The best-scored medium result becomes high when it is a clear winner and nothing else is high.

    As in `confidence_of`, a paste that shows a mesh at work (`mesh`) stands in for evidence on a mesh signal.
    In an ambient-only paste (`ambient`) a sidecar-only runbook is never promoted.
    """
    if len(results) < 1 or any(r.confidence is Confidence.HIGH for r in results):
        return
    ranked = sorted(range(len(results)), key=lambda n: -results[n].score)
    best = results[ranked[0]]
    runner_up = results[ranked[1]].score if len(ranked) > 1 else 0.0
    evidence = sum(item.weight for item in best.evidence)
    shown = mesh or any(item.specific for item in best.evidence)
    agreed = shown and best.bm25 >= max(r.bm25 for r in results) > 0
    if ambient and _sidecar_only(best.runbook):
        return
    if best.confidence is Confidence.MEDIUM and clear_winner(evidence, best.score, runner_up, agreed):
        results[ranked[0]] = replace(best, confidence=Confidence.HIGH)


def _data_plane(signals: Sequence[Signal]) -> str | None:
    """`ambient` when the paste shows ztunnel or waypoint output (even beside sidecar lines), else the first shown."""
    planes = [s.value for s in signals if s.kind.value == "data_plane"]
    return "ambient" if "ambient" in planes else (planes[0] if planes else None)
