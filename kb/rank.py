"""Scoring: runbooks' declared signatures and exclusions checked against a paste's signals and text.

Every number that decides a ranking or a confidence is named here with the reason for its value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kb.documents import cited_pages
from kb.model import Condition, Runbook
from kb.patterns import PatternSet, compile_pattern
from kb.signals import Paste, Signal
from kb.vocabulary import SignalKind

# Declared evidence is what runbook authors wrote signatures for; it counts most. A runbook's signature
# weights add up, so these thresholds read as "how much specific evidence": one distinctive signature
# (weight 5-6, e.g. IST0173 or `503 UH` on a subset cluster) makes a match high, one strong or two
# generic ones medium.
HIGH_EVIDENCE = 6.0
MEDIUM_EVIDENCE = 3.0
# Signals that do not show a mesh at work: every HTTP client, TLS library or Kubernetes cluster produces
# them, a link only points at a page, and Envoy's headers on a reply the upstream wrote show only that a
# proxy was on the path. A result is high only when the paste shows Envoy or Istio at work: a signature on
# a mesh signal held, or the paste holds one (a flag, a detail, an istiod log scope, a mesh port, a reply
# Envoy wrote itself...). A bare `503`, `x509: certificate has expired`, `413 Payload Too Large`,
# `CrashLoopBackOff` or a link to istio.io, even matched by a runbook's pattern, stays medium.
GENERIC_KINDS = frozenset(
    {
        SignalKind.HTTP_STATUS,
        SignalKind.CURL_EXIT,
        SignalKind.GRPC_STATUS,
        SignalKind.DIAL_ERROR,
        SignalKind.TLS_ERROR,
        SignalKind.POD_STATE,
        SignalKind.READY_CONTAINERS,
        SignalKind.K8S_EVENT_REASON,
        SignalKind.LINK,
        SignalKind.ENVOY_HEADER,
    }
)
GENERIC_SIGNALS = frozenset({(SignalKind.REPLIED_BY, "upstream")})
# Most `x-envoy-*` headers are set by (or for) the upstream and only show a proxy on the path; these Envoy
# writes itself on a reply it made: the router on a request it dropped for circuit breaking or maintenance
# mode (`x-envoy-overloaded`), the overload manager (`x-envoy-local-overloaded`) and the rate limit filter on
# its 429 (`x-envoy-ratelimited`). A curl paste showing one shows Envoy at work even without `server: envoy`.
ENVOY_WRITTEN_HEADERS = frozenset({"x-envoy-overloaded", "x-envoy-local-overloaded", "x-envoy-ratelimited"})


def generic(kind: SignalKind, value: str | None = None) -> bool:
    """Whether a signal (or, with no value, a condition on any value of `kind`) does not show a mesh at work."""
    if kind is SignalKind.ENVOY_HEADER and value in ENVOY_WRITTEN_HEADERS:
        return False
    return kind in GENERIC_KINDS or (kind, value) in GENERIC_SIGNALS


# A paste that links to a documentation page or GitHub thread a runbook cites (its references and its
# examples' sources) is about what that runbook covers. The weight is shared among the runbooks citing the
# page, and even undivided it stays below MEDIUM_EVIDENCE: it lifts a runbook among candidates, never
# answers alone.
CITATION_WEIGHT = 2.0
CITATION_RULE = "cites-the-linked-page"
# Text similarity (BM25 over title, symptoms, summary, cause and examples) breaks ties and answers
# typed questions. The best BM25 hit adds this much, the others in proportion to their BM25 score:
# worth less than one strong signature, more than a generic one.
BM25_WEIGHT = 3.0
# With no declared evidence, the top BM25 hit is still a medium answer when it is a clear winner:
# several query words found and a score this many times the runner-up's.
BM25_ONLY_MIN_TERMS = 2
BM25_ONLY_LEAD = 1.5


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Evidence:
    """One signature of a runbook that held for this paste: what it tested and on which lines."""

    signature: str
    weight: float
    note: str | None
    matched: tuple[str, ...]
    lines: tuple[int, ...]
    specific: bool = True
    cause: str | None = None
    # Every condition is a signal any client, TLS library or cluster prints (GENERIC_KINDS): the signature
    # reads what the failure is, not that a mesh is in the story.
    generic: bool = False


@dataclass(frozen=True)
class _Rule:
    runbook: str
    name: str
    weight: float  # 0 for an exclusion
    note: str | None
    conditions: tuple[Condition, ...]
    excludes: bool
    cause: str | None = None


@dataclass
class Judgement:
    """Everything the signatures say about one runbook for one paste."""

    evidence: list[Evidence] = field(default_factory=list)
    excluded_by: str | None = None

    @property
    def weight(self) -> float:
        return sum(item.weight for item in self.evidence)

    @property
    def specific(self) -> bool:
        """Whether any evidence names something only a mesh produces (see GENERIC_KINDS)."""
        return any(item.specific for item in self.evidence)

    @property
    def weight_beyond_generic(self) -> float:
        """The weight of the evidence that is more than signals every client or cluster produces."""
        return sum(item.weight for item in self.evidence if not item.generic)


def describe(condition: Condition) -> str:
    """A condition as the reader sees it in the evidence: `response_flag = UH`, `pattern /.../`."""
    if condition.pattern is not None:
        return f"pattern /{condition.pattern}/"
    if condition.equals is not None:
        return f"{condition.signal} = {condition.equals}"
    if condition.matches is not None:
        return f"{condition.signal} ~ /{condition.matches}/"
    return f"{condition.signal} present"


class Scorer:
    """All signatures and exclusions of a library, compiled once; `judge` checks them against a paste.

    Only rules with at least one condition that holds are looked at: one RE2 set pass finds the patterns
    present, and dictionaries keyed by signal kind and value find the structured conditions.
    """

    def __init__(self, runbooks: Iterable[Runbook], cited: Mapping[str, Sequence[str]] | None = None) -> None:
        """`cited` maps runbook ids to their `cited_pages`, when the caller has them already."""
        runbooks = list(runbooks)
        self._rules: list[_Rule] = []
        patterns: dict[str, int] = {}
        self._by_pattern: dict[int, list[int]] = defaultdict(list)
        self._by_value: dict[tuple[SignalKind, str], list[int]] = defaultdict(list)
        self._by_kind: dict[SignalKind, list[int]] = defaultdict(list)
        self._matchers: dict[str, Any] = {}
        for runbook in runbooks:
            for signature in runbook.signatures:
                self._rules.append(
                    _Rule(
                        runbook.id,
                        signature.name,
                        signature.weight,
                        signature.note,
                        signature.when,
                        False,
                        signature.cause,
                    )
                )
            for exclusion in runbook.excludes:
                self._rules.append(_Rule(runbook.id, exclusion.name, 0.0, exclusion.note, exclusion.when, True))
        self._rules += _citation_rules(runbooks, cited or {})
        for number, rule in enumerate(self._rules):
            for condition in rule.conditions:
                if condition.pattern is not None:
                    index = patterns.setdefault(condition.pattern, len(patterns))
                    self._by_pattern[index].append(number)
                elif condition.signal is not None and condition.equals is not None:
                    self._by_value[(condition.signal, condition.equals.casefold())].append(number)
                elif condition.signal is not None:
                    self._by_kind[condition.signal].append(number)
                    if condition.matches is not None:
                        self._matchers.setdefault(condition.matches, compile_pattern(condition.matches))
        self._pattern_index = patterns
        self._patterns = PatternSet(list(patterns))

    def judge(self, paste: Paste, signals: Sequence[Signal]) -> dict[str, Judgement]:
        """Runbook id -> the signatures that held and the exclusion that ruled it out, if any."""
        present = self._patterns.matching(paste.text)
        by_kind: dict[SignalKind, list[Signal]] = defaultdict(list)
        for signal in signals:
            by_kind[signal.kind].append(signal)
        candidates = {rule for index in present for rule in self._by_pattern[index]}
        candidates.update(rule for s in signals for rule in self._by_value.get((s.kind, s.value.casefold()), ()))
        candidates.update(rule for kind in by_kind for rule in self._by_kind.get(kind, ()))
        judgements: dict[str, Judgement] = defaultdict(Judgement)
        for number in sorted(candidates):
            rule = self._rules[number]
            lines = self._lines_if_all_hold(rule.conditions, paste, present, by_kind)
            if lines is None:
                continue
            judgement = judgements[rule.runbook]
            if rule.excludes:
                judgement.excluded_by = judgement.excluded_by or rule.name
            else:
                matched = tuple(describe(condition) for condition in rule.conditions)
                on_signals = [c for c in rule.conditions if c.signal is not None]
                specific = any(not generic(c.signal, c.equals) for c in on_signals if c.signal is not None)
                only_generic = len(on_signals) == len(rule.conditions) and not specific
                evidence = Evidence(
                    rule.name, rule.weight, rule.note, matched, lines, specific, rule.cause, only_generic
                )
                judgement.evidence.append(evidence)
        return dict(judgements)

    def _lines_if_all_hold(
        self,
        conditions: Sequence[Condition],
        paste: Paste,
        present: set[int],
        by_kind: dict[SignalKind, list[Signal]],
    ) -> tuple[int, ...] | None:
        lines: set[int] = set()
        for condition in conditions:
            if condition.pattern is not None:
                index = self._pattern_index[condition.pattern]
                if index not in present:
                    return None
                offset = self._patterns.first_offset(index, paste.text)
                lines.add(paste.line_at(offset))
                continue
            assert condition.signal is not None
            found = [s.line for s in by_kind.get(condition.signal, ()) if self._signal_holds(condition, s)]
            if not found:
                return None
            lines.update(found)
        return tuple(sorted(lines))

    def _signal_holds(self, condition: Condition, signal: Signal) -> bool:
        if condition.equals is not None:
            return signal.value.casefold() == condition.equals.casefold()
        if condition.matches is not None:
            return self._matchers[condition.matches].search(signal.value) is not None
        return True


def _citation_rules(runbooks: Sequence[Runbook], cited: Mapping[str, Sequence[str]]) -> list[_Rule]:
    """One rule per page a runbook cites: the paste links to it. The weight is shared among the citers."""
    citing: dict[str, list[str]] = defaultdict(list)
    for runbook in runbooks:
        pages = cited.get(runbook.id)
        for page in cited_pages(runbook) if pages is None else pages:
            citing[page].append(runbook.id)
    rules = []
    for page, citers in citing.items():
        condition = (Condition(signal=SignalKind.LINK, equals=page),)
        note = f"The paste links to {page}, which this runbook cites."
        rules += [_Rule(rid, CITATION_RULE, CITATION_WEIGHT / len(citers), note, condition, False) for rid in citers]
    return rules


def mesh_paste(signals: Iterable[Signal]) -> bool:
    """Whether the paste itself shows Envoy or Istio at work (a signal of a kind only a mesh produces)."""
    return any(not generic(signal.kind, signal.value) for signal in signals)


def confidence_of(
    judgement: Judgement, bm25_share: float, terms: int, bm25_lead: float, mesh: bool = False
) -> Confidence:
    """How sure a result is: declared evidence in a mesh paste first; otherwise medium at most."""
    weight = judgement.weight
    if weight >= HIGH_EVIDENCE and (judgement.specific or mesh):
        return Confidence.HIGH
    if weight >= MEDIUM_EVIDENCE:
        return Confidence.MEDIUM
    if bm25_share == 1.0 and terms >= BM25_ONLY_MIN_TERMS and bm25_lead >= BM25_ONLY_LEAD:
        return Confidence.MEDIUM
    return Confidence.LOW
