"""The library the server answers from, and how it is replaced: built off to the side, swapped in at once.

Requests read `state.library` once and keep that object, so a swap never changes a library under a request
that is using it; the old one is left to the garbage collector instead of being closed mid-request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import kb

from .errors import NotReady

if TYPE_CHECKING:
    from .builds import Build

log = logging.getLogger("kb_api")


@dataclass
class LibraryState:
    settings: kb.Settings
    library: kb.Library | None = None
    content_hash: str = ""
    loaded_at: float = 0.0  # time.time() of the last successful load
    failure: str = ""  # why the last load or reload failed; empty when it did not
    problems: list[dict[str, Any]] = field(default_factory=list)
    reloads: int = 0
    generation: int | None = None  # the supervisor's build this worker serves (`kb serve --watch`)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def current(self) -> kb.Library:
        """The library to answer from, or NotReady while the first load has not finished."""
        library = self.library
        if library is None:
            raise NotReady(self.failure or "the runbook library is still loading")
        return library

    def load(self) -> bool:
        """Open the library (from the index cache when current) and swap it in; False leaves the old one serving.

        The first load accepts a library with broken files left out (as `kb match` does); a reload must be
        clean, so a runbook edited into a broken state never replaces the last good library.
        """
        with self._lock:  # the first load and a watcher's reload never build at once
            return self._load()

    def _load(self) -> bool:
        first = self.library is None
        try:
            digest = kb.content_hash(self.settings.runbooks_dir)
            library = kb.open_library(self.settings.runbooks_dir, self.settings.cache_dir)
        except (kb.KBError, OSError) as exc:
            return self._failed(str(exc), [])
        errors = [asdict(p) for p in library.problems if p.level == "error"]
        if not len(library.catalog):
            return self._failed(f"no valid runbooks in {self.settings.runbooks_dir}", errors)
        if errors and not first:
            return self._failed(f"{len(errors)} problem(s) in the runbooks; the last good library keeps serving",
                                errors)  # fmt: skip
        self.library, self.content_hash, self.loaded_at = library, digest, time.time()
        self.failure, self.problems = "", errors
        self.reloads += 0 if first else 1
        return True

    def adopt(self, build: Build) -> bool:
        """Serve what the supervisor built: open its index (never build here), or keep the library and show the
        failure; False when nothing new was swapped in."""
        with self._lock:
            self.generation = build.generation
            swapped = False
            if build.index_dir is None:  # no shared cache: load (build in memory) here
                swapped = not build.failure and self._load()
            elif self.library is None or self.library.index_dir != Path(build.index_dir):
                try:
                    library = kb.open_index(Path(build.index_dir))
                except kb.KBError as exc:
                    return self._failed(str(exc), [])
                self.reloads += 0 if self.library is None else 1
                self.library, self.content_hash, self.loaded_at = library, build.content_hash, time.time()
                swapped = True
            if build.failure:
                return self._failed(build.failure, build.problems) or swapped
            if build.index_dir is not None:
                self.failure, self.problems = "", []
            return swapped

    def _failed(self, reason: str, problems: list[dict[str, Any]]) -> bool:
        log.warning("runbook library not loaded: %s", reason)
        self.failure, self.problems = reason, problems
        return False

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready when a library is loaded and the last reload did not fail; the facts `/readyz` shows."""
        library = self.library
        facts: dict[str, Any] = {
            "ready": library is not None and not self.failure,
            "runbooks": len(library.catalog) if library else 0,
            "content_hash": self.content_hash or None,
            "index_age_seconds": round(time.time() - self.loaded_at, 1) if library else None,
            # False when the index came from the cache: `kb serve --workers N` builds it once, before the workers.
            "built_in_process": library.built if library else None,
            "reloads": self.reloads,
        }
        if self.generation is not None:
            facts["generation"] = self.generation
        if self.failure:
            facts["failure"] = self.failure
        if self.problems:
            facts["problems"] = self.problems
        return facts["ready"], facts
