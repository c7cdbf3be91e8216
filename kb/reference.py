"""Envoy response flags, response-code details and Istio ports as data, each linked to the runbooks that
declare it in a signature (`kb reference`, and later the API and the site)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kb.errors import KBError
from kb.model import Runbook
from kb.patterns import compile_pattern
from kb.vocabulary import SignalKind
from kb.yamldoc import YamlProblem, parse_document

REFERENCE_FILE = Path(__file__).resolve().parent / "data" / "mesh-reference.yaml"
# Which signal kind a section's keys are compared with when linking runbooks.
SECTIONS = {
    "flags": ("flag", SignalKind.RESPONSE_FLAG),
    "details": ("detail", SignalKind.RESPONSE_CODE_DETAILS),
    "ports": ("port", SignalKind.MESH_PORT),
}
REFERENCE_SECTIONS = tuple(SECTIONS)


@dataclass(frozen=True)
class Entry:
    section: str
    key: str
    fields: dict[str, str]


@cache
def load_reference(path: Path = REFERENCE_FILE) -> tuple[Entry, ...]:
    """Every entry of the reference file; a broken file is a KBError naming its line."""
    try:
        data = parse_document(path.read_text(encoding="utf-8")).data
    except (OSError, YamlProblem) as exc:
        raise KBError(f"{path}: cannot read the mesh reference: {exc}") from None
    return tuple(_entries(data, path))


def _entries(data: Any, path: Path) -> Iterable[Entry]:
    for section, (key, _) in SECTIONS.items():
        for item in data.get(section, []) if isinstance(data, dict) else []:
            if not isinstance(item, dict) or not isinstance(item.get(key), str):
                raise KBError(f"{path}: every `{section}` entry needs a `{key}`")
            yield Entry(section, item[key], {name: str(value) for name, value in item.items()})


def _stem(key: str) -> str:
    # `upstream_reset_before_response_started{...}` stands for every value with that prefix.
    return re.sub(r"[{\[(]\.\.\.[}\])]$", "", key)


def declaring(entry: Entry, runbooks: Iterable[Runbook]) -> list[str]:
    """Ids of the runbooks with a signature condition on this flag, detail or port."""
    return _declaring(entry, _conditions_by_kind(runbooks))


# (runbook id, equals, matches) of every signal condition, by signal kind, in catalog order.
_Conditions = dict[SignalKind, list[tuple[str, str | None, str | None]]]


def _conditions_by_kind(runbooks: Iterable[Runbook]) -> _Conditions:
    found: _Conditions = {}
    for runbook in runbooks:
        for signature in runbook.signatures:
            for condition in signature.when:
                if condition.signal is not None:
                    found.setdefault(condition.signal, []).append((runbook.id, condition.equals, condition.matches))
    return found


def _declaring(entry: Entry, conditions: _Conditions) -> list[str]:
    kind = SECTIONS[entry.section][1]
    stem = _stem(entry.key)
    found = [
        rid for rid, equals, matches in conditions.get(kind, []) if _names(kind, equals, matches, kind, entry.key, stem)
    ]
    return list(dict.fromkeys(found))


def _names(
    signal: SignalKind | None, equals: str | None, matches: str | None, kind: SignalKind, key: str, stem: str
) -> bool:
    if signal is not kind:
        return False
    if equals is not None:
        return equals == key or (stem != key and equals.startswith(stem))
    if matches is not None:
        # A wildcard key is tested as one concrete value of its shape, e.g. `...policy[x]`.
        return compile_pattern(matches).search(key.replace("...", "x")) is not None
    return False


def reference_table(runbooks: Iterable[Runbook], section: str | None = None) -> list[dict[str, Any]]:
    """Entries (optionally one section) with the runbooks that declare each: what `kb reference` prints."""
    conditions = _conditions_by_kind(runbooks)
    return [
        {"section": entry.section, **entry.fields, "runbooks": _declaring(entry, conditions)}
        for entry in load_reference()
        if section is None or entry.section == section
    ]


def reference_lookup(runbooks: Iterable[Runbook], name: str) -> list[dict[str, Any]]:
    """The entries for one flag, detail or port (`UH`, `no_healthy_upstream`, `15012`), as `reference_table` rows.

    Flags and details are compared exactly, then ignoring case; a detail family (`...{...}`) answers for any
    value with its prefix.
    """
    wanted = name.strip()
    rows = reference_table(runbooks)
    exact = [row for row in rows if _key_of(row) == wanted]
    if exact:
        return exact
    folded = [row for row in rows if _key_of(row).lower() == wanted.lower()]
    if folded:
        return folded
    return [row for row in rows if _stem(_key_of(row)) != _key_of(row) and wanted.startswith(_stem(_key_of(row)))]


def _key_of(row: dict[str, Any]) -> str:
    return str(row[SECTIONS[row["section"]][0]])
