"""A runbook library ready to match: the catalog, its search index and its compiled signatures.

The index and the parsed catalog are cached together in one directory per content hash of the
runbooks (and of kb itself), so a cold `kb match` neither re-parses YAML nor re-indexes. A new index
is written to a fresh directory and renamed into place: a reader never sees half an index, and two
processes building at once both end up with a complete one.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kb import __version__
from kb.catalog import Catalog
from kb.documents import Document, document_of
from kb.loader import LoadResult, Problem, load_runbooks, runbook_files
from kb.model import Runbook
from kb.rank import Scorer
from kb.search import SCHEMA_VERSION, SearchIndex, cut_chinese, write_index
from kb.settings import Settings

CATALOG_FILE = "catalog.pickle"
# Old indexes are pruned past this many, least recently used first; several runbook directories
# (a checkout, tests, a custom KB_RUNBOOKS) can share one cache.
KEEP_INDEXES = 8
_KB_DIR = Path(__file__).resolve().parent


@dataclass
class Library:
    """Everything `match` needs, loaded once and reused for every paste."""

    catalog: Catalog
    index: SearchIndex
    scorer: Scorer
    problems: tuple[Problem, ...] = ()
    index_dir: Path | None = None
    built: bool = False

    def close(self) -> None:
        self.index.close()


def content_hash(runbooks_dir: Path) -> str:
    """A hash of every runbook file and of kb's own code: either changing makes the index stale."""
    digest = hashlib.sha256(f"kb {__version__} schema {SCHEMA_VERSION}\n".encode())
    for file in runbook_files(runbooks_dir):
        digest.update(f"{file.relative_to(runbooks_dir).as_posix()}\n".encode())
        digest.update(file.read_bytes())
    for source in sorted(_KB_DIR.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:24]


def open_library(runbooks_dir: Path, cache_dir: Path | None) -> Library:
    """The library for `runbooks_dir`, from the cache when it is current, else built (and cached)."""
    runbooks_dir = runbooks_dir.resolve()
    key = content_hash(runbooks_dir)
    if cache_dir is not None:
        index_dir = cache_dir / f"index-{key}"
        cached = _open_cached(index_dir)
        if cached is not None:
            return cached
        try:
            _discard(index_dir)  # present but unreadable: a crashed writer or a damaged disk
            return _build_cached(runbooks_dir, cache_dir, index_dir)
        except OSError:
            pass  # An unwritable cache is not fatal: build in memory below.
    return _build_in_memory(runbooks_dir)


@cache
def default_library() -> Library:
    """The library of `KB_RUNBOOKS` (or the bundled runbooks), opened once per process."""
    settings = Settings.from_env(os.environ)
    return open_library(settings.runbooks_dir, settings.cache_dir)


def _open_cached(index_dir: Path) -> Library | None:
    try:
        with (index_dir / CATALOG_FILE).open("rb") as handle:
            catalog, problems = pickle.load(handle)
        index = SearchIndex.open(index_dir)
        os.utime(index_dir)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
        return None
    return Library(catalog, index, Scorer(catalog), problems, index_dir)


def _build_cached(runbooks_dir: Path, cache_dir: Path, index_dir: Path) -> Library:
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    result = load_runbooks(runbooks_dir, derive=_document)
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir))
    try:
        write_index(building, documents(result))
        with (building / CATALOG_FILE).open("wb") as handle:
            pickle.dump((result.catalog, result.problems), handle, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            building.rename(index_dir)
        except OSError:
            # Another process renamed its complete copy first; ours is not needed.
            shutil.rmtree(building, ignore_errors=True)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _prune(cache_dir, keep=index_dir)
    # The catalog is already in memory; only the index needs opening (from whichever copy won).
    return Library(
        result.catalog, SearchIndex.open(index_dir), Scorer(result.catalog), result.problems, index_dir, True
    )


def _document(runbook: Runbook) -> Document:
    return document_of(runbook, cut_chinese)


def documents(result: LoadResult) -> list[Document]:
    """The index documents of every loaded runbook, in catalog order (most were cut while loading)."""
    return [result.derived.get(runbook.id) or _document(runbook) for runbook in result.catalog]


def _discard(directory: Path) -> None:
    """Move a directory aside, then delete it, so no reader ever opens it half-deleted."""
    if directory.exists():
        trash = directory.with_name(f".trash-{os.getpid()}-{directory.name}")
        directory.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)


def _build_in_memory(runbooks_dir: Path) -> Library:
    result = load_runbooks(runbooks_dir, derive=_document)
    index = SearchIndex.in_memory(documents(result))
    return Library(result.catalog, index, Scorer(result.catalog), result.problems, None, built=True)


def _prune(cache_dir: Path, keep: Path) -> None:
    indexes = sorted(cache_dir.glob("index-*"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in [path for path in indexes if path != keep][KEEP_INDEXES - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
