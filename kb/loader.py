"""Load `runbooks/**/*.yaml`, collecting every problem as `path:line: field: message`.

Nothing stops at the first problem: a file with five mistakes reports five lines, and the valid
runbooks still load so the CLI can answer while an unrelated file is broken.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import errno
import gc
import os
import pickle
import re
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from kb.catalog import Catalog, Entry
from kb.checks import runbook_findings
from kb.errors import UsageError
from kb.facts import version_problems
from kb.model import CHECKED_ACROSS_FIELDS, CJK, Runbook, field_names, shorten
from kb.vocabulary import RunbookKind
from kb.yamldoc import Path_, YamlDocument, YamlProblem, parse_document

MAX_FILE_BYTES = 1024 * 1024
SCHEMA_LINE = "# yaml-language-server: $schema="
_HAS_CJK = re.compile(f"[{CJK}]")


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    field: str
    message: str
    level: Level = Level.ERROR

    def __str__(self) -> str:
        suffix = " (warning)" if self.level is Level.WARNING else ""
        return f"{self.path}:{self.line}: {self.field}: {self.message}{suffix}"


@dataclass(frozen=True)
class LoadResult:
    catalog: Catalog
    problems: tuple[Problem, ...]
    files: int
    # What `derive` returned for each valid runbook, by id (see load_runbooks).
    derived: dict[str, Any] = dataclass_field(default_factory=dict)
    # Runbooks loaded in a worker process arrive pickled; their pickles, by id, for a cache to store as they are.
    pickled: dict[str, bytes] = dataclass_field(default_factory=dict)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level is Level.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level is Level.WARNING)


@dataclass(frozen=True)
class _Parsed:
    """One file that parsed to a mapping, valid or not: enough to check ids and `related` across files."""

    path: Path
    text: str
    data: dict[str, Any]
    doc: YamlDocument
    runbook: Runbook | None
    pickled: bytes | None = None  # `runbook` pickled, once it has crossed from a worker process

    def __reduce__(self) -> tuple[Any, ...]:
        # The runbook is pickled on its own so the receiving process can keep its pickle: the index build
        # stores it in the cache instead of pickling 10,000 runbooks a second time on one core.
        blob = self.pickled
        if blob is None and self.runbook is not None:
            blob = pickle.dumps(self.runbook, protocol=pickle.HIGHEST_PROTOCOL)
        return (_unpickle_parsed, (self.path, self.text, self.data, self.doc, blob))


def _unpickle_parsed(path: Path, text: str, data: dict[str, Any], doc: YamlDocument, blob: bytes | None) -> _Parsed:
    return _Parsed(path, text, data, doc, pickle.loads(blob) if blob is not None else None, blob)


def load_runbooks(root: Path, derive: Callable[[Runbook], Any] | None = None, *, lint: bool = True) -> LoadResult:
    """Load every runbook under `root`; problems are collected, never raised.

    `derive` (a module-level function) is applied to each valid runbook where it was loaded, which for a
    large library is a worker process: the index build uses it to cut documents without shipping every
    runbook to a second round of workers. `lint=False` leaves out what only `kb lint` needs: the warnings,
    and fix manifests checked against the CRD schemas (the costliest check; manifests still must parse).
    """
    if not root.is_dir():
        raise UsageError(f"runbooks directory not found: {root}")
    with collector_paused():
        return _load(root, derive, lint)


def _load(root: Path, derive: Callable[[Runbook], Any] | None, lint: bool) -> LoadResult:
    files, problems = discover(root)
    parsed: list[_Parsed] = []
    derived: dict[str, Any] = {}
    for item, file_problems, extra in in_parallel(partial(_load_and_derive, derive=derive, lint=lint), files):
        problems.extend(file_problems)
        if item is not None:
            parsed.append(item)
            if item.runbook is not None and extra is not None:
                derived.setdefault(item.runbook.id, extra)
    problems.extend(_duplicate_ids(parsed))
    problems.extend(_retired_ids(parsed, retired_ids(root)))
    declared = {item.data["id"] for item in parsed if isinstance(item.data.get("id"), str)}
    problems.extend(p for item in parsed for p in _unknown_related(item, declared))
    entries = _first_valid(parsed)
    if lint:
        problems.extend(p for item in entries for p in content_warnings(item))
    catalog = Catalog([Entry(item.runbook, item.path) for item in entries if item.runbook is not None])
    pickled = {item.runbook.id: item.pickled for item in entries if item.runbook is not None and item.pickled}
    return LoadResult(catalog, tuple(sorted(problems)), len(files), derived, pickled)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around bulk work that allocates and keeps millions of objects.

    Loading 10,000 runbooks frees almost nothing, yet every few thousand allocations the collector would
    walk all that was kept so far again. Reference counting still frees everything acyclic; the collector
    resumes (if it was on) when the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Below this many items the work is done in this process: starting workers costs more than it saves.
PARALLEL_FROM = 1000
_T = TypeVar("_T")
_R = TypeVar("_R")


def in_parallel(function: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
    """`[function(item) for item in items]`, spread over the machine's cores for large inputs."""
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_FROM or workers < 2:
        return [function(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent) as pool:
        return list(pool.map(function, items, chunksize=max(len(items) // (workers * 8), 16)))


# How often a worker looks whether the process that started it is still there.
_PARENT_POLL_SECONDS = 0.2


def _exit_with_parent() -> None:
    """Make this worker process end when its parent does, even when the parent was killed and could not stop it.

    Without this a killed kb leaves its workers blocked on their task queue, holding their memory. A poll of
    the parent id is used rather than Linux's PR_SET_PDEATHSIG, which fires when the creating *thread* ends.
    The parent is whoever started this process (kb itself, or the forkserver, which ends with kb).
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="kb-exit-with-parent", daemon=True).start()


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except (OSError, ValueError, RuntimeError):  # Python 3.11 raises RuntimeError on a symlink loop
        return str(path)


def discover(root: Path) -> tuple[list[Path], list[Problem]]:
    """The `*.yaml` paths under `root` and the problems of finding them (`.yml` names, folders not listable).

    Hidden names are skipped: editors leave lock files (`.#x.yaml`, a dangling link) and swap files there.
    """
    files: list[Path] = []
    problems: list[Problem] = []

    def unreadable(error: OSError) -> None:
        problems.append(
            Problem(display_path(Path(error.filename or root)), 1, "file", f"cannot list: {error.strerror}")
        )

    for folder, folders, names in os.walk(root, onerror=unreadable):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in names:
            path = Path(folder) / name
            if name.startswith("."):
                continue
            if name.endswith(".yml"):
                problems.append(Problem(display_path(path), 1, "file", "runbooks use the .yaml extension; rename it"))
            elif name.endswith(".yaml"):
                files.append(path)
    if not files and not problems:
        problems.append(Problem(display_path(root), 1, "file", "no runbook files (*.yaml) in this directory"))
    return sorted(files), problems


class Unreadable(Exception):
    """A file the loader will not read, and why, at a 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


_FILE_TYPES = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def file_bytes(file: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of `file` if it is a regular file of at most `limit` bytes; else raises Unreadable.

    Only regular files are opened, and without blocking: a FIFO would wait for a writer forever and a link
    to /dev/zero would never end. The type is checked again on the open file in case it changed meanwhile.
    """
    try:
        _regular(os.stat(file), limit)
        descriptor = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise Unreadable(1, "dangling symlink (its target does not exist)" if file.is_symlink() else
                         "the file disappeared while being read") from None  # fmt: skip
    except OSError as exc:
        raise Unreadable(1, "symlink loop" if exc.errno == errno.ELOOP else f"cannot read: {exc.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        try:
            _regular(os.fstat(descriptor), limit)
            raw = handle.read(limit + 1)
        except OSError as exc:
            raise Unreadable(1, f"cannot read: {exc.strerror}") from None
    if len(raw) > limit:
        raise Unreadable(1, f"larger than {limit} bytes")
    return raw


def _regular(info: os.stat_result, limit: int) -> None:
    kind = stat.S_IFMT(info.st_mode)
    if kind != stat.S_IFREG:
        raise Unreadable(1, f"not a regular file ({_FILE_TYPES.get(kind, 'not a file')})")
    if info.st_size > limit:
        raise Unreadable(1, f"larger than {limit} bytes")


def _read(file: Path) -> str:
    """The file's text; raises Unreadable for anything that is not a small, regular UTF-8 file."""
    raw = file_bytes(file).removeprefix(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise Unreadable(line, f"not valid UTF-8 (byte {exc.start})") from None


def _load_file(file: Path, lint: bool = True) -> tuple[_Parsed | None, list[Problem]]:
    shown = display_path(file)
    try:
        text = _read(file)
        doc = parse_document(text)
    except Unreadable as exc:
        return None, [Problem(shown, exc.line, "file", exc.message)]
    except YamlProblem as exc:
        return None, [Problem(shown, exc.line, "yaml", exc.message)]
    problems = [Problem(shown, line, field_name(path), message) for path, line, message in doc.problems]
    if not isinstance(doc.data, dict):
        return None, [*problems, Problem(shown, 1, "runbook", "a runbook file must hold a YAML mapping")]
    runbook: Runbook | None = None
    try:
        runbook = Runbook.model_validate(doc.data, context={CHECKED_ACROSS_FIELDS: True})
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, doc, shown))
    problems.extend(
        Problem(shown, doc.content_line(f.path, f.offset), field_name(f.path), f.message)
        for f in runbook_findings(doc.data, schemas=lint)
    )
    runbook_id = doc.data.get("id")
    if isinstance(runbook_id, str) and runbook_id != file.stem:
        line = doc.line_of(("id",))
        problems.append(Problem(shown, line, "id", f"id {runbook_id!r} must equal the file name {file.stem!r}"))
    valid = runbook if not problems else None
    if valid is not None and lint:  # facts about Istio releases (issue 14): strict-only, so a runbook still loads
        problems.extend(
            Problem(shown, doc.line_of(p.path), field_name(p.path), p.message, Level.WARNING)
            for p in version_problems(valid)
        )
    return _slim(_Parsed(file, text, doc.data, doc, valid)), problems


def _load_and_derive(
    file: Path, derive: Callable[[Runbook], Any] | None, lint: bool = True
) -> tuple[_Parsed | None, list[Problem], Any]:
    item, problems = _load_file(file, lint)
    runbook = item.runbook if item is not None else None
    return item, problems, derive(runbook) if derive is not None and runbook is not None else None


def _slim(item: _Parsed) -> _Parsed:
    """Only what the checks across files read: the id, `related`, top-level lines and the first lines.

    Everything else is in `runbook` already; dropping it keeps results cheap to pass between processes.
    """
    lines = {path: line for path, line in item.doc.lines.items() if len(path) <= 1 or path[0] == "related"}
    data: dict[str, Any] = {key: item.data[key] for key in ("id", "related") if key in item.data}
    head = "\n".join(item.text.splitlines()[:3])
    return _Parsed(item.path, head, data, YamlDocument(data=None, lines=lines), item.runbook)


def _validation_problems(exc: ValidationError, doc: YamlDocument, shown: str) -> Iterator[Problem]:
    errors = exc.errors(include_url=False)
    failing = [tuple(error["loc"]) for error in errors]
    for error in errors:
        loc: Path_ = tuple(error["loc"])
        # pydantic drops an invalid item and then also reports its list as too short: noise.
        if error["type"] == "too_short" and any(other[: len(loc)] == loc and other != loc for other in failing):
            continue
        yield Problem(shown, doc.line_of(loc), field_name(loc) or "runbook", _message(error))


def field_name(loc: Iterable[str | int]) -> str:
    """`('fix', 2, 'manifest')` -> `fix[2].manifest`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _message(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), field_names(), n=1)
        return "unknown field" + (f"; did you mean {close[0]!r}?" if close else "")
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind.endswith("_type"):
        return f"{error['msg']}, got {type(error['input']).__name__} {shorten(error['input'])}"
    if kind == "enum":
        return f"{error['msg']}, got {shorten(error['input'])}"
    return str(error["msg"])


def _duplicate_ids(parsed: list[_Parsed]) -> Iterator[Problem]:
    first: dict[str, Path] = {}
    for item in parsed:
        runbook_id = item.data.get("id")
        if not isinstance(runbook_id, str):
            continue
        if runbook_id in first:
            message = f"duplicate id {runbook_id!r} (also in {display_path(first[runbook_id])})"
            yield Problem(display_path(item.path), item.doc.line_of(("id",)), "id", message)
        else:
            first[runbook_id] = item.path


RETIRED_FILE = "retired-ids.txt"


def retired_ids(root: Path) -> set[str]:
    """Ids listed in `<root>/retired-ids.txt` (first word of each line; `#` starts a comment)."""
    try:
        text = file_bytes(root / RETIRED_FILE).decode("utf-8")
    except (Unreadable, UnicodeDecodeError):
        return set()
    return {line.split()[0] for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")}


def _retired_ids(parsed: list[_Parsed], retired: set[str]) -> Iterator[Problem]:
    for item in parsed:
        runbook_id = item.data.get("id")
        if isinstance(runbook_id, str) and runbook_id in retired:
            message = f"id {runbook_id!r} is retired ({RETIRED_FILE}); ids are never reused, choose a new one"
            yield Problem(display_path(item.path), item.doc.line_of(("id",)), "id", message)


def _first_valid(parsed: list[_Parsed]) -> list[_Parsed]:
    """Valid runbooks, the first file winning when two declare one id (the other is reported)."""
    seen: set[str] = set()
    valid = []
    for item in parsed:
        if item.runbook is not None and item.runbook.id not in seen:
            seen.add(item.runbook.id)
            valid.append(item)
    return valid


def _unknown_related(item: _Parsed, declared: set[str]) -> Iterator[Problem]:
    related = item.data.get("related")
    for index, other in enumerate(related if isinstance(related, list) else []):
        if isinstance(other, str) and other not in declared:
            close = difflib.get_close_matches(other, sorted(declared), n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            line = item.doc.line_of(("related", index))
            yield Problem(display_path(item.path), line, f"related[{index}]", f"unknown runbook id {other!r}{hint}")


def content_warnings(item: _Parsed) -> Iterator[Problem]:
    """What `kb lint --strict` also fails on: gaps in a runbook that is otherwise valid."""
    runbook, shown = item.runbook, display_path(item.path)
    if runbook is None:
        return

    def warn(field: str, message: str) -> Problem:
        return Problem(shown, item.doc.line_of((field,)), field, message, Level.WARNING)

    if runbook.kind is RunbookKind.INCIDENT:
        if not runbook.signatures:
            yield warn("signatures", "an incident needs at least one signature for the matcher")
        if not runbook.examples:
            yield warn("examples", "an incident needs at least one real example paste")
    if not runbook.references:
        yield warn("references", "cite at least one official doc or issue")
    for field in ("title_zh", "summary_zh"):
        value = getattr(runbook, field)
        if value is None:
            yield warn(field, "missing Chinese translation")
        elif not _HAS_CJK.search(value):
            yield warn(field, "contains no Chinese characters")
    yield from _schema_line_warnings(item.path, item.text, shown)


def _schema_line_warnings(path: Path, text: str, shown: str) -> Iterator[Problem]:
    head = text.splitlines()[:3]
    line = next((n for n, first in enumerate(head, start=1) if first.startswith(SCHEMA_LINE)), None)
    if line is None:
        yield Problem(shown, 1, "file", f"missing `{SCHEMA_LINE}...` line for editors", Level.WARNING)
        return
    target = head[line - 1][len(SCHEMA_LINE) :].strip()
    if not (path.parent / target).is_file():
        yield Problem(shown, line, "file", f"schema {target!r} does not exist relative to this file", Level.WARNING)
