"""Cross-field checks of one runbook, over its raw data: every problem at once, each at its own path.

Pydantic checks one field at a time; these rules need several fields (an incident's cause and impact,
manifests against `applies_to`, names unique across signatures). They read the raw mapping, defensively,
so `kb lint` reports them next to field errors instead of after the fields are fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kb.crd_schemas import schema_problems
from kb.istio_api import lower_bound, resource_problems
from kb.versions import Range, parse_range
from kb.vocabulary import PLACEHOLDERS
from kb.yamldoc import Path_, parse_manifest

PLACEHOLDER = re.compile(r"\$([A-Z][A-Z0-9_]*)")
_CONSTRAINT = r"(>=|<=|>|<|==)[0-9]+\.[0-9]+(\.[0-9]+)?"
_INTERVAL = f"{_CONSTRAINT}(, *{_CONSTRAINT})*"
# Intervals joined by `||`: `>=1.25.4, <1.26 || >=1.26.1` (what shipped in patches of two minor lines).
VERSION_RANGE = f"^{_INTERVAL}( *\\|\\| *{_INTERVAL})*$"


@dataclass(frozen=True)
class Finding:
    """A problem at `path`; `offset` is the line inside that field's text (for manifests)."""

    path: Path_
    message: str
    offset: int = 0


def runbook_findings(data: Mapping[str, Any], schemas: bool = True) -> list[Finding]:
    """Every cross-field problem of a runbook's raw data; `schemas=False` skips the CRD schema checks."""
    return [
        *_incident_fields(data),
        *_self_related(data),
        *_unique_names(data),
        *_manifests(data, schemas),
        *_step_causes(data),
        *_version_limits(data),
    ]


def _step_causes(data: Mapping[str, Any]) -> Iterator[Finding]:
    """A step's `causes` must be causes some signature of the runbook names; a typo would never match."""
    named = {s.get("cause") for s in _items(data.get("signatures")) if isinstance(s, Mapping)}
    for section in ("diagnosis", "fix", "verify"):
        for index, step in enumerate(_items(data.get(section))):
            causes = step.get("causes") if isinstance(step, Mapping) else None
            for position, cause in enumerate(_items(causes)):
                if cause not in named:
                    yield Finding((section, index, "causes", position), f"no signature names the cause {cause!r}")


def placeholder_problem(text: str) -> str | None:
    """Why `text` uses a `$NAME` the matcher cannot fill, or None."""
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if not unknown:
        return None
    names = ", ".join(f"${name}" for name in unknown)
    return f"unknown placeholder {names}; known: {', '.join(sorted(PLACEHOLDERS))}"


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _incident_fields(data: Mapping[str, Any]) -> Iterator[Finding]:
    if data.get("kind") == "incident":
        for name in ("cause", "impact"):
            if data.get(name) is None:
                yield Finding((name,), "required for an incident")


def _self_related(data: Mapping[str, Any]) -> Iterator[Finding]:
    for index, other in enumerate(_items(data.get("related"))):
        if other == data.get("id"):
            yield Finding(("related", index), "a runbook cannot list itself")


def _unique_names(data: Mapping[str, Any]) -> Iterator[Finding]:
    first: dict[str, str] = {}
    for section in ("signatures", "excludes"):
        for index, item in enumerate(_items(data.get(section))):
            name = item.get("name") if isinstance(item, Mapping) else None
            if not isinstance(name, str):
                continue
            if name in first:
                yield Finding((section, index, "name"), f"duplicate name {name!r} (first at {first[name]})")
            else:
                first[name] = f"{section}[{index}]"


def _manifests(data: Mapping[str, Any], schemas: bool = True) -> Iterator[Finding]:
    applies = data.get("applies_to")
    istio = applies.get("istio") if isinstance(applies, Mapping) else None
    valid = isinstance(istio, str) and re.fullmatch(VERSION_RANGE, istio) is not None
    oldest = lower_bound(istio) if valid and isinstance(istio, str) else None
    for index, step in enumerate(_items(data.get("fix"))):
        manifest = step.get("manifest") if isinstance(step, Mapping) else None
        if not isinstance(manifest, str) or not manifest.strip():
            continue
        path = ("fix", index, "manifest")
        documents, problems = parse_manifest(manifest)
        yield from (Finding(path, message, line) for line, message in problems)
        span = _step_span(istio if valid else None, step.get("istio"))
        for doc in documents:
            if not isinstance(doc.resource, Mapping):
                continue
            served = resource_problems(doc.resource, oldest) if oldest is not None else []
            yield from (Finding(path, message, doc.line) for message in served)
            # The schemas only once the API version question is settled: one problem, reported once.
            if schemas and span is not None and not problems and not served:
                found = schema_problems(doc.resource, doc.lines, span)
                yield from (Finding(path, message, line) for line, message in found)
        problem = placeholder_problem(manifest)
        if problem:
            yield Finding(path, problem)


def _step_span(overall: Any, own: Any) -> Range | None:
    """The releases a step holds for: `applies_to.istio` narrowed by its own `istio`; None when malformed."""
    if not isinstance(overall, str):
        return None
    span = parse_range(overall)
    if isinstance(own, str) and re.fullmatch(VERSION_RANGE, own):
        span = span.meet(parse_range(own))
    return span


_VERSIONED = ("diagnosis", "fix", "verify", "signatures", "version_notes")


def _version_limits(data: Mapping[str, Any]) -> Iterator[Finding]:
    """A step, signature or note limited to releases `applies_to.istio` never admits can never be shown."""
    applies = data.get("applies_to")
    overall = applies.get("istio") if isinstance(applies, Mapping) else None
    if not isinstance(overall, str) or not re.fullmatch(VERSION_RANGE, overall):
        return
    for section in _VERSIONED:
        for index, item in enumerate(_items(data.get(section))):
            istio = item.get("istio") if isinstance(item, Mapping) else None
            valid = isinstance(istio, str) and re.fullmatch(VERSION_RANGE, istio) is not None
            if valid and parse_range(overall).meet(parse_range(str(istio))).empty:
                message = f"holds for Istio {istio}, which applies_to.istio {overall!r} never admits"
                yield Finding((section, index, "istio"), message)
