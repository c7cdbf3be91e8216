"""kb: the runbook library for service-mesh incidents. This module is the public surface."""

from __future__ import annotations

__version__ = "0.1.0"

from kb.catalog import Catalog, Entry  # noqa: E402
from kb.errors import ContentError, KBError, UnknownRunbookError, UsageError  # noqa: E402
from kb.loader import Level, LoadResult, Problem, load_runbooks  # noqa: E402
from kb.model import Condition, Example, Exclusion, FixStep, Reference, Runbook, Signature, Step  # noqa: E402
from kb.schema import runbook_schema  # noqa: E402
from kb.settings import Settings, bundled_runbooks_dir  # noqa: E402
from kb.vocabulary import PLACEHOLDERS, SIGNAL_KINDS, Component, DataPlane, RunbookKind, Severity, SignalKind  # noqa: E402

__all__ = [
    "PLACEHOLDERS",
    "SIGNAL_KINDS",
    "Catalog",
    "Component",
    "Condition",
    "ContentError",
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
    "Signature",
    "SignalKind",
    "Step",
    "UnknownRunbookError",
    "UsageError",
    "__version__",
    "bundled_runbooks_dir",
    "load_runbooks",
    "runbook_schema",
]
