"""kb: the runbook library for service-mesh incidents. This module is the public surface."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mesh-kb")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from kb.catalog import Catalog, Entry
from kb.entities import Entity
from kb.errors import KBError, UnknownRunbookError, UsageError
from kb.export import runbook_markdown
from kb.inputs import paste_text
from kb.language import Language, language_of
from kb.library import Library, content_hash, default_library, open_index, open_library
from kb.loader import Level, LoadResult, Problem, load_runbooks
from kb.matcher import DEFAULT_LIMIT, MatchReport, Result, normalize
from kb.matcher import match as _match
from kb.model import Condition, Example, Exclusion, FixStep, Reference, Runbook, Signature, Step
from kb.rank import Confidence, Evidence
from kb.reference import reference_table
from kb.schema import runbook_schema
from kb.settings import Settings, bundled_runbooks_dir
from kb.signals import Paste, Signal
from kb.signals import extract as _extract
from kb.versions import Range, Release, VersionView, for_release, parse_range, parse_release
from kb.vocabulary import PLACEHOLDERS, SIGNAL_KINDS, Component, DataPlane, RunbookKind, Severity, SignalKind


def match(
    text: str, library: Library | None = None, limit: int = DEFAULT_LIMIT, istio: Release | str | None = None
) -> MatchReport:
    """Rank runbooks for a paste or a typed symptom (default library: the bundled runbooks); with `istio`
    (`"1.22"`), only runbooks, signatures and steps that hold for that release."""
    release = parse_release(istio) if isinstance(istio, str) else istio
    return _match(text, library or default_library(), limit, istio=release)


def search_runbooks(query: str, library: Library | None = None, limit: int = 10) -> list[Result]:
    """Runbooks for typed words, English or Chinese (`kb search`): the matcher's ranking of the query."""
    return list(match(query, library, limit).results)


def extract_signals(text: str) -> list[Signal]:
    """The structured signals kb finds in a text: response flags, statuses, reset reasons, ports..."""
    return _extract(Paste.of(normalize(text)))


__all__ = [
    "DEFAULT_LIMIT",
    "PLACEHOLDERS",
    "SIGNAL_KINDS",
    "Catalog",
    "Component",
    "Condition",
    "Confidence",
    "DataPlane",
    "Entity",
    "Entry",
    "Evidence",
    "Example",
    "Exclusion",
    "FixStep",
    "KBError",
    "Language",
    "Level",
    "Library",
    "LoadResult",
    "MatchReport",
    "Problem",
    "Range",
    "Reference",
    "Release",
    "Result",
    "Runbook",
    "RunbookKind",
    "Settings",
    "Severity",
    "Signal",
    "SignalKind",
    "Signature",
    "Step",
    "UnknownRunbookError",
    "UsageError",
    "VersionView",
    "__version__",
    "bundled_runbooks_dir",
    "content_hash",
    "default_library",
    "extract_signals",
    "for_release",
    "language_of",
    "load_runbooks",
    "match",
    "open_index",
    "open_library",
    "parse_range",
    "parse_release",
    "paste_text",
    "reference_table",
    "runbook_markdown",
    "runbook_schema",
    "search_runbooks",
]
