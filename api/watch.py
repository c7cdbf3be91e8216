"""Hot reload: watch the runbook directory and swap in a freshly built library after each change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change, awatch

from .state import LibraryState

log = logging.getLogger("kb_api")
# Editors write a file in bursts (temp file, rename, chmod); one rebuild per burst is enough.
DEBOUNCE_MS = 300
RUNBOOK_SUFFIXES = (".yaml", ".yml", ".txt", ".json")


def runbook_change(change: Change, path: str) -> bool:
    """Only runbook files count; an editor's swap files and backups do not trigger a rebuild."""
    name = Path(path).name
    return name.endswith(RUNBOOK_SUFFIXES) and not name.startswith((".", "#"))


async def watch_runbooks(state: LibraryState, stop: asyncio.Event, on_swap: Callable[[], None]) -> None:
    """Rebuild after each burst of changes; a failed build leaves the last good library serving."""
    directory = state.settings.runbooks_dir
    log.info("watching %s for runbook changes", directory)
    async for changes in awatch(directory, watch_filter=runbook_change, debounce=DEBOUNCE_MS, step=50,
                                stop_event=stop):  # fmt: skip
        log.info("%d runbook file(s) changed; rebuilding", len(changes))
        if await asyncio.to_thread(state.load):
            on_swap()
            log.info("swapped in the new library (%s)", state.content_hash)
