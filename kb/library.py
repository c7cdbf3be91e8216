"""A runbook library ready to match: the catalog, its search index and its compiled signatures.

The index and the parsed catalog are cached together in one directory per content hash of the
runbooks (and of kb itself), so a cold `kb match` neither re-parses YAML nor re-indexes. A new index
is written to a fresh directory and renamed into place: a reader never sees half an index, and two
processes building at once both end up with a complete one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from kb import __version__
from kb.catalog import Catalog, Entry
from kb.documents import Document, cited_pages, document_of
from kb.errors import UsageError
from kb.loader import (
    RETIRED_FILE,
    LoadResult,
    Problem,
    Unreadable,
    collector_paused,
    discover,
    file_bytes,
    load_runbooks,
)
from kb.model import Runbook
from kb.rank import Scorer
from kb.search import (
    SCHEMA_VERSION,
    FieldTerms,
    SearchIndex,
    cut_chinese,
    document_terms,
    load_chinese_dictionary,
    term_statistics,
    write_index,
)
from kb.settings import Settings

CATALOG_FILE = "catalog.pickle"
# Old indexes are pruned past this many, least recently used first; several runbook directories
# (a checkout, tests, a custom KB_RUNBOOKS) can share one cache.
KEEP_INDEXES = 8
# A `.build-*` or `.trash-*` directory this old belongs to a process that was killed.
STALE_BUILD_SECONDS = 3600
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
    # Why the cache folder was not used (not trusted, not writable), for the edge to tell the user once.
    cache_note: str | None = None

    def close(self) -> None:
        self.index.close()


def content_hash(runbooks_dir: Path) -> str:
    """A hash of what the loader reads and reports, and of kb's own code: either changing makes the index stale.

    It covers each runbook file read the loader's way (only regular files, bounded in size; an unreadable
    one by its problem), the names of `.yml` files and folders that could not be listed (their problems
    are cached too), and `retired-ids.txt`.
    """
    # The pickled catalog depends on pydantic and Python, the index on whoosh and jieba.
    versions = " ".join(f"{name} {_version(name)}" for name in ("pydantic", "whoosh-reloaded", "jieba"))
    digest = hashlib.sha256(f"kb {__version__} schema {SCHEMA_VERSION} {versions} {sys.version}\n".encode())
    files, problems = discover(runbooks_dir)
    for file in [*files, runbooks_dir / RETIRED_FILE]:
        digest.update(f"{file.relative_to(runbooks_dir).as_posix()}\n".encode())
        try:
            content = file_bytes(file)
            digest.update(b"%d\n" % len(content) + content)
        except Unreadable as exc:
            digest.update(f"unreadable: {exc.message}\n".encode())
    for problem in problems:  # shown relative to the working directory; hashed relative to the runbooks
        where = os.path.relpath(os.path.abspath(problem.path), runbooks_dir)
        digest.update(f"{where}: {problem.message}\n".encode())
    for source in sorted(_KB_DIR.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:24]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def open_library(runbooks_dir: Path, cache_dir: Path | None, progress: Callable[[str], None] | None = None) -> Library:
    """The library for `runbooks_dir`, from the cache when it is current, else built (and cached).

    `progress` is told, before a build starts, what is being built (the CLI shows it on a terminal).
    """
    if not runbooks_dir.is_dir():
        raise UsageError(f"runbooks directory not found: {runbooks_dir}")
    # Loading or building keeps every object it makes; the collector would only rescan them, again and again
    # (a third of a 10,000-runbook build). The index writer's forked processes inherit the pause.
    with collector_paused():
        return _open(runbooks_dir.resolve(), cache_dir, progress or _quiet)


def _quiet(message: str) -> None:
    pass


def _open(runbooks_dir: Path, cache_dir: Path | None, progress: Callable[[str], None]) -> Library:
    key = content_hash(runbooks_dir)
    if cache_dir is None:
        progress(f"building the search index of {runbooks_dir} in memory")
        return _build_in_memory(runbooks_dir)
    problem = cache_problem(cache_dir)
    if problem is None:
        index_dir = cache_dir / f"index-{key}"
        cached = _open_cached(index_dir)
        if cached is not None:
            return cached
        try:
            _discard(index_dir)  # present but damaged or unreadable: a crashed writer, a bad disk, an edit
            progress(f"building the search index of {runbooks_dir} into {cache_dir} (once per change)")
            return _build_cached(runbooks_dir, cache_dir, index_dir)
        except OSError as exc:  # An unwritable cache is not fatal: build in memory below.
            problem = (
                f"cache folder {cache_dir} is not writable ({exc.strerror or exc}); the index was kept in memory. "
                "Make it writable, or set KB_CACHE_DIR to a folder you own (or to off)"
            )
    progress(f"building the search index of {runbooks_dir} in memory")
    library = _build_in_memory(runbooks_dir)
    library.cache_note = problem
    return library


def open_index(index_dir: Path) -> Library:
    """The library `open_library` cached in `index_dir`, without reading any runbook (a server's workers open
    the index their supervisor built); UsageError when the folder is not trusted, incomplete or damaged."""
    problem = cache_problem(index_dir.parent)
    if problem is not None:
        raise UsageError(problem)
    with collector_paused():
        library = _open_cached(index_dir)
    if library is None:
        raise UsageError(f"no complete index in {index_dir}")
    return library


@dataclass(frozen=True)
class Export:
    """A library's runbooks and the index's term statistics, without building or opening the index (the site)."""

    catalog: Catalog
    problems: tuple[Problem, ...]
    statistics: dict[str, Any]
    cited: dict[str, tuple[str, ...]]


def load_export(runbooks_dir: Path) -> Export:
    """Load the runbooks in parallel and compute what an index of them would hold, never touching the cache.

    Only what the site needs is checked: a runbook that fails to load is a problem here, but manifests
    against the CRD schemas, version facts and other warnings are `kb lint`'s (the site shows manifests as
    text), which keeps a large site's build from doing lint's work again.
    """
    if not runbooks_dir.is_dir():
        raise UsageError(f"runbooks directory not found: {runbooks_dir}")
    with collector_paused():
        result = _load_prepared(runbooks_dir.resolve(), derive=_export_prepare, lint=False)
        prepared = _derived(result, _export_prepare)
        statistics = term_statistics([(rid, item.terms) for rid, item in prepared.items()])
        cited = {rid: item.cited for rid, item in prepared.items()}
        return Export(result.catalog, result.problems, statistics, cited)


@cache
def default_library() -> Library:
    """The library of `KB_RUNBOOKS` (or the bundled runbooks), opened once per process."""
    settings = Settings.from_env(os.environ)
    return open_library(settings.runbooks_dir, settings.cache_dir)


def cache_problem(cache_dir: Path) -> str | None:
    """Why pickles from `cache_dir` may not be loaded, with how to fix it; None when it is ours and private.

    A cache folder someone else can write to could hand us a pickle that runs code; then kb keeps the index
    in memory instead. Any group write bit counts: the group may be the user's own primary group, which on
    macOS (`staff`) every user shares. A folder that does not exist yet is created private.
    """
    try:
        info = cache_dir.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cache folder {cache_dir} is not trusted: cannot read its owner ({exc.strerror}); {_CACHE_FIX}"
    if info.st_uid != os.getuid():
        return f"cache folder {cache_dir} is not trusted: another user (uid {info.st_uid}) owns it; {_CACHE_FIX}"
    writers = "other users" if info.st_mode & stat.S_IWOTH else "its group" if info.st_mode & stat.S_IWGRP else None
    if writers is None:
        return None
    fix = f"run `chmod 700 {cache_dir}` or {_CACHE_FIX}"
    return f"cache folder {cache_dir} is not trusted: {writers} can write to it; {fix}"


_CACHE_FIX = "set KB_CACHE_DIR to a private folder (or to off); the index was kept in memory"


@dataclass(frozen=True)
class _Prepared:
    """What a loading worker makes of one valid runbook, so the main process need not redo it on one core."""

    document: Document
    cited: tuple[str, ...]  # the pages the Scorer's citation rules look for


def _prepare(runbook: Runbook) -> _Prepared:
    cited = tuple(cited_pages(runbook))
    return _Prepared(document_of(runbook, cut_chinese, cited), cited)


def _load_prepared(runbooks_dir: Path, derive: Callable[[Runbook], Any] = _prepare, lint: bool = True) -> LoadResult:
    """The runbooks, each with its index document (or what `derive` makes of it) made where it was loaded (a
    worker, for a large library)."""
    load_chinese_dictionary()
    return load_runbooks(runbooks_dir, derive=derive, lint=lint)


_T = TypeVar("_T")


def _derived(result: LoadResult, derive: Callable[[Runbook], _T]) -> dict[str, _T]:
    """What `derive` made of each runbook, by id in catalog order: from its worker, else made here."""
    return {runbook.id: result.derived.get(runbook.id) or derive(runbook) for runbook in result.catalog}


@dataclass(frozen=True)
class _ExportPrepared:
    """What an index would hold of a runbook, by field (the site's term statistics), and its cited pages.

    The document itself stays in the worker: only its terms cross back, which halves what is pickled."""

    terms: dict[str, FieldTerms]
    cited: tuple[str, ...]


def _export_prepare(runbook: Runbook) -> _ExportPrepared:
    prepared = _prepare(runbook)
    return _ExportPrepared(document_terms(prepared.document), prepared.cited)


def _prepared(result: LoadResult) -> tuple[list[Document], dict[str, tuple[str, ...]]]:
    """The index documents in catalog order and the cited pages by id (made while loading, in the workers)."""
    prepared = _derived(result, _prepare)
    return [item.document for item in prepared.values()], {rid: item.cited for rid, item in prepared.items()}


def _pickled(runbook: Runbook, result: LoadResult) -> bytes:
    """The runbook's pickle: the one it crossed from its worker process in, else a new one."""
    return result.pickled.get(runbook.id) or pickle.dumps(runbook, protocol=pickle.HIGHEST_PROTOCOL)


@dataclass(frozen=True)
class _CatalogFile:
    """The catalog file's content: each runbook pickled on its own where it was loaded, so writing the file
    does not pickle the whole library again, and what the Scorer needs besides the runbooks."""

    runbooks: list[tuple[Path, bytes]]
    cited: dict[str, tuple[str, ...]]
    problems: tuple[Problem, ...]


def _open_cached(index_dir: Path) -> Library | None:
    """The cached library if every file in `index_dir` is exactly what was written, else None."""
    try:
        verified = _verified_catalog(index_dir)
        if verified is None:
            return None
        stored: _CatalogFile = pickle.loads(verified)
        catalog = Catalog([Entry(pickle.loads(blob), path) for path, blob in stored.runbooks])
        index = SearchIndex.open(index_dir)
        scorer = Scorer(catalog, stored.cited)
    except Exception:
        return None
    with contextlib.suppress(OSError):
        os.utime(index_dir)  # marks it recently used for pruning; a read-only cache is fine
    return Library(catalog, index, scorer, stored.problems, index_dir)


CHECKSUMS_FILE = "SHA256SUMS"


def _write_checksums(directory: Path) -> None:
    """Record the SHA-256 of every file in `directory`, and of that list itself on the last line."""
    lines = "".join(f"{_file_digest(path)}  {path.name}\n" for path in sorted(directory.iterdir()))
    (directory / CHECKSUMS_FILE).write_text(f"{lines}{_digest(lines.encode())}  -\n", encoding="utf-8")


def _verified_catalog(directory: Path) -> bytes | None:
    """The catalog file's bytes if every file in `directory` matches its recorded checksum and no file is missing
    or added; None on any difference. The catalog is read once, so the bytes checked are the bytes unpickled."""
    text = (directory / CHECKSUMS_FILE).read_text(encoding="utf-8")
    lines, _, last = text.rstrip("\n").rpartition("\n")
    if last != f"{_digest((lines + chr(10)).encode())}  -":
        return None
    recorded = {name: digest for digest, _, name in (line.partition("  ") for line in lines.split("\n"))}
    present = {path.name for path in directory.iterdir()} - {CHECKSUMS_FILE}
    if present != set(recorded) or CATALOG_FILE not in present:
        return None
    catalog = (directory / CATALOG_FILE).read_bytes()
    if _digest(catalog) != recorded[CATALOG_FILE]:
        return None
    others = (name for name in sorted(present) if name != CATALOG_FILE)
    return catalog if all(_file_digest(directory / name) == recorded[name] for name in others) else None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _build_cached(runbooks_dir: Path, cache_dir: Path, index_dir: Path) -> Library:
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    result = _load_prepared(runbooks_dir)
    documents, cited = _prepared(result)
    blobs = [(result.catalog.path_of(runbook.id), _pickled(runbook, result)) for runbook in result.catalog]
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir))
    try:
        write_index(building, documents)
        with (building / CATALOG_FILE).open("wb") as handle:
            pickle.dump(_CatalogFile(blobs, cited, result.problems), handle, protocol=pickle.HIGHEST_PROTOCOL)
        _write_checksums(building)
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
    scorer = Scorer(result.catalog, cited)
    return Library(result.catalog, SearchIndex.open(index_dir), scorer, result.problems, index_dir, True)


def _discard(directory: Path) -> None:
    """Move a directory aside, then delete it, so no reader ever opens it half-deleted."""
    if directory.exists():
        trash = directory.with_name(f".trash-{os.getpid()}-{time.monotonic_ns()}-{directory.name}")
        directory.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)


def _build_in_memory(runbooks_dir: Path) -> Library:
    result = _load_prepared(runbooks_dir)
    documents, cited = _prepared(result)
    index = SearchIndex.in_memory(documents)
    return Library(result.catalog, index, Scorer(result.catalog, cited), result.problems, None, built=True)


def _prune(cache_dir: Path, keep: Path) -> None:
    """Drop the least recently used indexes past KEEP_INDEXES, and leftovers of killed builds."""
    now = time.time()
    ages: dict[Path, float] = {}
    for path in cache_dir.iterdir():
        with contextlib.suppress(OSError):
            ages[path] = now - path.stat().st_mtime
    indexes = sorted((p for p in ages if p.name.startswith("index-") and p != keep), key=lambda p: ages[p])
    stale = [p for p in ages if p.name.startswith((".build-", ".trash-")) and ages[p] > STALE_BUILD_SECONDS]
    for old in indexes[KEEP_INDEXES - 1 :] + stale:
        with contextlib.suppress(OSError):
            _discard(old)
