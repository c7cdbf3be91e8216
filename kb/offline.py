"""What an offline copy of the matcher needs, as plain data: the site's paste box runs it in the browser.

The browser re-implements the extractors' syntax and the ranking rules; the numbers, the vocabularies the
extractors recognise, every runbook's signatures and the index's term statistics come from here, so the two
matchers share one source for everything that is knowledge rather than code.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kb import calibration, entities, matcher, rank, search
from kb.signals import (
    data_plane,
    envoy_headers,
    grpc,
    http_status,
    istio_log,
    k8s_pods,
    local_reply,
    mesh_ports,
    response_details,
    response_flags,
)
from kb.signals.base import MAX_LINES_PER_SIGNAL
from kb.vocabulary import ABBREVIATIONS, PLACEHOLDERS

if TYPE_CHECKING:
    from kb.library import Export

FORMAT = 1
_WORD = re.compile(r"\w+(?:\.?\w+)*")


def offline_data(export: Export) -> dict[str, Any]:
    """Everything the in-browser matcher reads, JSON-ready and in a stable order (byte-identical rebuilds)."""
    runbooks = list(export.catalog)
    statistics = export.statistics
    return {
        "format": FORMAT,
        "constants": _constants(),
        "generic_kinds": sorted(str(kind) for kind in rank.GENERIC_KINDS),
        "generic_signals": sorted([str(kind), value] for kind, value in rank.GENERIC_SIGNALS),
        "abbreviations": dict(sorted(ABBREVIATIONS.items())),
        "boilerplate": sorted(search.BOILERPLATE),
        "english_fields": list(search.ENGLISH_FIELDS),
        "vocabulary": _vocabulary(),
        "data_plane": _data_plane(),
        "calibration": {
            "mesh_words": _pattern(calibration._MESH_WORDS),
            "names_sidecars": _pattern(calibration._NAMES_SIDECARS),
        },
        "entities": _entities(),
        "rules": _rules(runbooks, export.cited),
        "stems": _stems(runbooks, statistics),
        "index": _compact(statistics),
        "runbooks": {runbook.id: _shown(runbook) for runbook in runbooks},
    }


def _shown(runbook: Any) -> dict[str, Any]:
    """What a result shows: titles, summary, and the first diagnosis and fix step's commands (as `kb match`)."""
    return {
        "title": runbook.title,
        "title_zh": runbook.title_zh,
        "summary": runbook.summary,
        "summary_zh": runbook.summary_zh,
        "severity": runbook.severity.value,
        "data_planes": [plane.value for plane in runbook.applies_to.data_plane],
        # Every step: which one leads depends on the causes matched and the data plane shown (as `kb match`).
        "diagnosis": [_step(step) for step in runbook.diagnosis],
        "fix": [_step(step) for step in runbook.fix],
    }


def _step(step: Any) -> dict[str, Any]:
    return {"commands": list(step.commands), "causes": list(step.causes), "data_planes": list(step.data_planes)}


_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m"}


def _pattern(pattern: re.Pattern[str]) -> dict[str, str]:
    """A Python pattern for the browser's RegExp: its source and flags (only syntax both engines share)."""
    flags = pattern.flags & ~re.UNICODE
    unknown = flags & ~sum(_FLAGS)
    if unknown:
        raise ValueError(f"pattern {pattern.pattern!r} uses flags the browser export does not know: {unknown}")
    return {"source": pattern.pattern, "flags": "".join(letter for flag, letter in _FLAGS.items() if flags & flag)}


def _entities() -> dict[str, Any]:
    """kb.entities' patterns, in its order, and what filling a placeholder allows (kb match fills commands)."""
    return {
        "finders": [
            {"name": name, "pattern": _pattern(pattern), "needles": list(needles)}
            for name, pattern, _, needles in entities._FINDERS
        ],
        "service_host": _pattern(entities._SVC_HOST),
        "ip": _pattern(entities._IP),
        "deployment_pod": _pattern(entities._DEPLOYMENT_POD),
        "gateway_pods": list(entities.GATEWAY_PODS),
        "placeholder": _pattern(entities._PLACEHOLDER),
        "safe_value": _pattern(entities._SAFE_VALUE),
        "plain_value": _pattern(entities._PLAIN),
        "placeholders": sorted(PLACEHOLDERS),
    }


def _data_plane() -> list[dict[str, Any]]:
    """The data_plane extractor's patterns (ambient first, as it runs them)."""
    return [
        {"value": "ambient", "pattern": _pattern(data_plane._AMBIENT), "needles": list(data_plane._AMBIENT_NEEDLES)},
        {"value": "sidecar", "pattern": _pattern(data_plane._SIDECAR), "needles": list(data_plane._SIDECAR_NEEDLES)},
    ]


def _compact(statistics: dict[str, Any]) -> dict[str, Any]:
    """Runbook ids once, then postings as flat `[doc, weight, doc, weight...]` lists (a third of the size)."""
    ids = sorted(statistics["fields"]["title"]["lengths"])
    number = {runbook_id: index for index, runbook_id in enumerate(ids)}
    fields = {}
    for name, field in statistics["fields"].items():
        postings = {
            term: [value for rid, weight in sorted(weights.items(), key=lambda item: number[item[0]])
                   for value in (number[rid], weight)]
            for term, weights in field["postings"].items()
        }  # fmt: skip
        lengths = [field["lengths"][rid] for rid in ids]
        fields[name] = {"scorable": name in search.SCORED_FIELDS, "average": field["average"],
                        "lengths": lengths, "postings": postings}  # fmt: skip
    return {"documents": statistics["documents"], "ids": ids, "fields": fields}


def _constants() -> dict[str, float]:
    return {
        "HIGH_EVIDENCE": rank.HIGH_EVIDENCE,
        "MEDIUM_EVIDENCE": rank.MEDIUM_EVIDENCE,
        "BM25_WEIGHT": rank.BM25_WEIGHT,
        "BM25_ONLY_MIN_TERMS": rank.BM25_ONLY_MIN_TERMS,
        "BM25_ONLY_LEAD": rank.BM25_ONLY_LEAD,
        "BM25_CANDIDATES": matcher.BM25_CANDIDATES,
        "DEFAULT_LIMIT": matcher.DEFAULT_LIMIT,
        "ENGLISH_TERMS": search.ENGLISH_TERMS,
        "ZH_TERMS": search.ZH_TERMS,
        "MAX_ZH_WORD": search.MAX_ZH_WORD,
        "TERMS_FOR": search.TERMS_FOR,
        "MAX_LINES_PER_SIGNAL": MAX_LINES_PER_SIGNAL,
        "WINNER_EVIDENCE": calibration.WINNER_EVIDENCE,
        "WINNER_LEAD": calibration.WINNER_LEAD,
        "STRONG_WINNER_EVIDENCE": calibration.STRONG_WINNER_EVIDENCE,
        "STRONG_WINNER_LEAD": calibration.STRONG_WINNER_LEAD,
        "AGREED_WINNER_EVIDENCE": calibration.AGREED_WINNER_EVIDENCE,
        "AGREED_WINNER_LEAD": calibration.AGREED_WINNER_LEAD,
        "SIDECAR_ONLY_IN_AMBIENT": calibration.SIDECAR_ONLY_IN_AMBIENT,
        "BM25_B": 0.75,
        "BM25_K1": 1.2,
    }


def _vocabulary() -> dict[str, list[str]]:
    """The fixed words the extractors recognise (flags, details, bodies, scopes, ports, gRPC codes...)."""
    return {
        "flags": list(response_flags.FLAGS),
        "details": list(response_details._WORDS),
        "termination": list(response_details._TERMINATION),
        "bodies": list(local_reply.BODIES),
        "http_reasons": list(http_status._REASONS),
        "scopes": list(istio_log.SCOPES),
        "ports": list(mesh_ports.PORTS),
        "grpc_codes": list(grpc.CODES),
        "pod_status_words": list(k8s_pods._STATUS_WORDS),
        "routine_headers": sorted(envoy_headers.ROUTINE),
    }


def _rules(runbooks: list[Any], cited: dict[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    """Every signature, exclusion and citation rule in the Scorer's order."""
    rules: list[dict[str, Any]] = []
    for runbook in runbooks:
        for signature in runbook.signatures:
            rules.append(_rule(runbook.id, signature.name, signature.weight, signature.note, signature.when, False,
                               signature.cause))  # fmt: skip
        for exclusion in runbook.excludes:
            rules.append(_rule(runbook.id, exclusion.name, 0.0, exclusion.note, exclusion.when, True))
    for rule in rank._citation_rules(runbooks, cited):
        rules.append(_rule(rule.runbook, rule.name, rule.weight, rule.note, rule.conditions, False, rule.cause))
    return rules


def _rule(runbook: str, name: str, weight: float, note: str | None, when: Any, excludes: bool,
          cause: str | None = None) -> dict[str, Any]:  # fmt: skip
    conditions = [
        {key: value for key, value in condition.model_dump(mode="json").items() if value is not None}
        for condition in when
    ]
    return {"runbook": runbook, "name": name, "weight": weight, "note": note, "when": conditions, "excludes": excludes,
            "cause": cause}  # fmt: skip


def _stems(runbooks: list[Any], statistics: dict[str, Any]) -> dict[str, str]:
    """Surface word -> stem for every word of the indexed English text (the browser has no stemmer)."""
    indexed = {term for field in search.ENGLISH_FIELDS for term in statistics["fields"][field]["postings"]}
    words = set(indexed)
    for runbook in runbooks:
        text = [runbook.title, runbook.summary, *runbook.symptoms, " ".join(runbook.tags)]
        text += [runbook.cause or "", runbook.impact or "", *(example.text for example in runbook.examples)]
        words.update(_WORD.findall("\n".join(text).lower()))
    for expansion in ABBREVIATIONS.values():
        words.update(expansion.split())
    return {word: stem for word, stem in sorted(search.english_stems(sorted(words)).items()) if stem in indexed}
