"""The loaded runbook library: look-up by id with suggestions, and the filters `kb list` offers."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.errors import UnknownRunbookError
from kb.model import Runbook
from kb.vocabulary import Component, RunbookKind, Severity


@dataclass(frozen=True)
class Entry:
    runbook: Runbook
    path: Path


class Catalog:
    """Runbooks by id, in id order."""

    def __init__(self, entries: Sequence[Entry] = ()) -> None:
        self._entries = {entry.runbook.id: entry for entry in sorted(entries, key=lambda e: e.runbook.id)}

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Runbook]:
        return (entry.runbook for entry in self._entries.values())

    def __contains__(self, runbook_id: object) -> bool:
        return runbook_id in self._entries

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def get(self, runbook_id: str) -> Runbook:
        """The runbook with this id, or UnknownRunbookError naming the closest ids."""
        entry = self._entries.get(runbook_id)
        if entry is None:
            raise UnknownRunbookError(runbook_id, self.closest(runbook_id))
        return entry.runbook

    def path_of(self, runbook_id: str) -> Path:
        self.get(runbook_id)
        return self._entries[runbook_id].path

    def closest(self, runbook_id: str, limit: int = 3) -> list[str]:
        """Existing ids that look like `runbook_id`: close spellings first, then ids sharing a word."""
        close = difflib.get_close_matches(runbook_id, self.ids, n=limit, cutoff=0.5)
        words = set(runbook_id.lower().split("-"))
        sharing = [i for i in self.ids if i not in close and words & set(i.split("-"))]
        return (close + sharing)[:limit]

    def select(
        self,
        component: Component | None = None,
        tag: str | None = None,
        kind: RunbookKind | None = None,
        severity: Severity | None = None,
    ) -> list[Runbook]:
        """Runbooks that have the component, the tag, the kind and the severity asked for (None = any)."""
        return [
            runbook
            for runbook in self
            if (component is None or component in runbook.components)
            and (tag is None or tag in runbook.tags)
            and (kind is None or runbook.kind is kind)
            and (severity is None or runbook.severity is severity)
        ]
