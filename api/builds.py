"""One build per change for every worker: `kb serve --watch` watches the runbooks in its own (the supervisor's)
process, builds the index cache and the docs site once per change, and publishes what it built in a small JSON
file. Each worker follows that file and swaps in the index and site it names; no worker builds.

A build whose runbooks fail to load is published as a failure that keeps naming the last good index and site, so
every worker keeps serving them while its /readyz shows the problems (and a worker started later does the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from watchfiles import watch

import kb

from .watch import DEBOUNCE_MS, runbook_change

if TYPE_CHECKING:
    from .state import LibraryState

log = logging.getLogger("kb_api")
SiteBuilder = Callable[[Path], Path]
# How often a worker looks for the supervisor's next build: one small file read.
FOLLOW_SECONDS = 0.2


@dataclass(frozen=True)
class Build:
    """What the supervisor last built: a new generation per change, good or not."""

    generation: int
    content_hash: str = ""
    index_dir: str | None = None  # None: no shared cache (KB_CACHE_DIR=off), so each worker loads on its own
    site_dir: str | None = None
    failure: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)


def publish(path: Path, build: Build) -> None:
    """Write the build beside `path` and rename it into place: a worker never reads half a file."""
    fd, scratch = tempfile.mkstemp(prefix=".build-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(build), out)
    os.replace(scratch, path)


def published(path: Path) -> Build | None:
    """The build last published at `path`, or None before the first one."""
    try:
        return Build(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


class Builder:
    """The supervisor's side: build each change once, then publish it."""

    def __init__(self, runbooks_dir: Path, cache_dir: Path | None, path: Path,
                 site_builder: SiteBuilder | None, site_dir: Path | None) -> None:  # fmt: skip
        self.runbooks_dir, self.cache_dir, self.path = runbooks_dir, cache_dir, path
        self.site_builder = site_builder
        self.last = Build(0, site_dir=str(site_dir) if site_dir else None)
        self._built_sites: list[str] = []  # sites this builder made after a change, oldest first

    def first(self, library: kb.Library) -> Build:
        """Publish the library `kb serve` built before starting the workers."""
        digest = kb.content_hash(self.runbooks_dir)
        index = str(library.index_dir) if library.index_dir else None
        return self._publish(replace(self.last, generation=1, content_hash=digest, index_dir=index))

    def rebuild(self) -> Build:
        """Build the runbooks as they are now; a broken one publishes a failure over the last good build."""
        try:
            digest = kb.content_hash(self.runbooks_dir)
            library = kb.open_library(self.runbooks_dir, self.cache_dir)
        except (kb.KBError, OSError) as exc:
            return self._failed(str(exc), [])
        errors = [asdict(p) for p in library.problems if p.level == "error"]
        built = "built the index" if library.built else "the index was cached"
        library.close()
        if errors or not len(library.catalog):
            reason = f"{len(errors)} problem(s) in the runbooks; the last good library keeps serving"
            return self._failed(reason if errors else f"no valid runbooks in {self.runbooks_dir}", errors, built)
        site = self._site()
        index = str(library.index_dir) if library.index_dir else None
        build = Build(self.last.generation + 1, digest, index, site)
        self._say(build, built)
        return self._publish(build)

    def _site(self) -> str | None:
        """The site of the runbooks as they are now; sites two changes old are deleted (16 MB each)."""
        if self.site_builder is None:
            return self.last.site_dir
        try:
            site = str(self.site_builder(self.runbooks_dir))
        except Exception as exc:  # the site is a view of the runbooks: a failure to build it keeps the old one
            log.warning("the docs site was not rebuilt (%s); the last one keeps serving", exc)
            return self.last.site_dir
        if site not in self._built_sites:
            self._built_sites.append(site)
        # The previous site stays: a request a worker routed to it a moment ago still reads its files.
        for old in self._built_sites[:-2]:
            self._built_sites.remove(old)
            shutil.rmtree(old, ignore_errors=True)
        return site

    def run(self, stop: threading.Event) -> None:
        """Rebuild after each burst of runbook changes until `stop` is set."""
        log.info("watching %s for runbook changes (one build per change for every worker)", self.runbooks_dir)
        for _ in watch(self.runbooks_dir, watch_filter=runbook_change, debounce=DEBOUNCE_MS, step=50,
                       stop_event=stop, raise_interrupt=False):  # fmt: skip
            self.rebuild()

    def _failed(self, reason: str, problems: list[dict[str, Any]], built: str = "") -> Build:
        build = replace(self.last, generation=self.last.generation + 1, failure=reason, problems=problems)
        self._say(build, built)
        return self._publish(build)

    def _publish(self, build: Build) -> Build:
        publish(self.path, build)
        if build.failure:  # the last good build stays what `replace` copies the next failure from
            self.last = replace(build, failure="", problems=[])
        else:
            self.last = build
        return build

    def _say(self, build: Build, built: str) -> None:
        outcome = f"failed: {build.failure}" if build.failure else f"library {build.content_hash}"
        # One line per change on stderr, next to uvicorn's: what an operator (and the hot-reload test) counts.
        print(f"kb: runbooks changed: build {build.generation} {outcome}" + (f" ({built})" if built else ""),
              file=sys.stderr, flush=True)  # fmt: skip


def start(builder: Builder) -> Callable[[], None]:
    """Run the builder in a thread of this process; the function returned stops it."""
    stop = threading.Event()
    thread = threading.Thread(target=builder.run, args=(stop,), name="kb-builder", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        with contextlib.suppress(RuntimeError):
            thread.join(timeout=5)

    return halt


class Site(Protocol):
    def serve(self, directory: str | None) -> None: ...


async def follow_builds(state: LibraryState, path: Path, site: Site | None, stop: asyncio.Event,
                        on_swap: Callable[[], None]) -> None:  # fmt: skip
    """A worker's side: swap in each build the supervisor publishes at `path`, never building here."""
    seen = state.generation
    while not stop.is_set():
        await asyncio.sleep(FOLLOW_SECONDS)
        build = published(path)
        if build is None or build.generation == seen:
            continue
        seen = build.generation
        if await asyncio.to_thread(state.adopt, build):
            on_swap()
        if site is not None:
            site.serve(build.site_dir)
        log.info("serving build %d (%s)", build.generation, build.failure or build.content_hash)
