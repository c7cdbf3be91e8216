"""kb's error tree: one base class, a few named subclasses carrying structured fields and an HTTP status."""

from __future__ import annotations

from collections.abc import Sequence


class KBError(Exception):
    """Base of every error kb raises on purpose; `status` is the HTTP status an API maps it to."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(KBError):
    """The caller asked for something malformed (bad option, unreadable input)."""

    status = 400


class UnknownRunbookError(KBError):
    """No runbook has this id; `suggestions` holds the closest existing ids."""

    status = 404

    def __init__(self, runbook_id: str, suggestions: Sequence[str] = ()) -> None:
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown runbook id {runbook_id!r}{hint}")
        self.runbook_id = runbook_id
        self.suggestions = tuple(suggestions)
