"""kb: the runbook library for service-mesh incidents. This module is the public surface."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mesh-kb")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from kb.catalog import Catalog, Entry
from kb.errors import KBError, UnknownRunbookError, UsageError
from kb.loader import Level, LoadResult, Problem, load_runbooks
from kb.model import Condition, Example, Exclusion, FixStep, Reference, Runbook, Signature, Step
from kb.schema import runbook_schema
from kb.settings import Settings, bundled_runbooks_dir
from kb.vocabulary import PLACEHOLDERS, SIGNAL_KINDS, Component, DataPlane, RunbookKind, Severity, SignalKind

__all__ = [
    "PLACEHOLDERS",
    "SIGNAL_KINDS",
    "Catalog",
    "Component",
    "Condition",
    "DataPlane",
    "Entry",
    "Example",
    "Exclusion",
    "FixStep",
    "KBError",
    "Level",
    "LoadResult",
    "Problem",
    "Reference",
    "Runbook",
    "RunbookKind",
    "Settings",
    "Severity",
    "SignalKind",
    "Signature",
    "Step",
    "UnknownRunbookError",
    "UsageError",
    "__version__",
    "bundled_runbooks_dir",
    "load_runbooks",
    "runbook_schema",
]
