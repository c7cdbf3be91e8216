"""Load `runbooks/**/*.yaml`, collecting every problem as `path:line: field: message`.

Nothing stops at the first problem: a file with five mistakes reports five lines, and the valid
runbooks still load so the CLI can answer while an unrelated file is broken.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kb.catalog import Catalog, Entry
from kb.errors import UsageError
from kb.model import Runbook
from kb.vocabulary import RunbookKind
from kb.yamldoc import Path_, YamlDocument, YamlProblem, parse_document

MAX_FILE_BYTES = 1024 * 1024
SCHEMA_LINE = "# yaml-language-server: $schema="
_CJK = re.compile(r"[\u3400-\u9fff]")


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

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level is Level.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level is Level.WARNING)


def load_runbooks(root: Path) -> LoadResult:
    """Load every runbook under `root`; problems are collected, never raised."""
    if not root.is_dir():
        raise UsageError(f"runbooks directory not found: {root}")
    files = sorted(root.rglob("*.yaml"))
    entries: list[Entry] = []
    problems: list[Problem] = []
    docs: dict[Path, YamlDocument] = {}
    for file in files:
        shown = display_path(file)
        runbook, doc, file_problems = _load_file(file, shown)
        problems.extend(file_problems)
        if runbook is not None and doc is not None:
            entries.append(Entry(runbook, file))
            docs[file] = doc
    unique, duplicate_problems = _unique_ids(entries)
    problems.extend(duplicate_problems)
    catalog = Catalog(unique)
    problems.extend(p for entry in unique for p in _unknown_related(entry, catalog, docs[entry.path]))
    problems.extend(p for entry in unique for p in content_warnings(entry, docs[entry.path]))
    return LoadResult(catalog=catalog, problems=tuple(sorted(problems)), files=len(files))


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except (OSError, ValueError):
        return str(path)


def _load_file(file: Path, shown: str) -> tuple[Runbook | None, YamlDocument | None, list[Problem]]:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        return None, None, [Problem(shown, 1, "file", f"cannot read: {exc.strerror}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, None, [Problem(shown, 1, "file", f"larger than {MAX_FILE_BYTES} bytes")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, None, [Problem(shown, line, "file", f"not valid UTF-8 (byte {exc.start})")]
    try:
        doc = parse_document(text)
    except YamlProblem as exc:
        return None, None, [Problem(shown, exc.line, "yaml", exc.message)]
    problems = [Problem(shown, line, field_name(path), message) for path, line, message in doc.problems]
    if not isinstance(doc.data, dict):
        problems.append(Problem(shown, 1, "runbook", "a runbook file must hold a YAML mapping"))
        return None, None, problems
    try:
        runbook = Runbook.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, doc, shown))
        return None, None, problems
    if runbook.id != file.stem:
        problems.append(
            Problem(shown, doc.line_of(("id",)), "id", f"id {runbook.id!r} must equal the file name {file.stem!r}")
        )
    return (runbook if not problems else None), doc, problems


def _validation_problems(exc: ValidationError, doc: YamlDocument, shown: str) -> Iterator[Problem]:
    errors = exc.errors(include_url=False)
    failing = [tuple(error["loc"]) for error in errors]
    for error in errors:
        loc: Path_ = tuple(error["loc"])
        # pydantic drops an invalid item and then also reports its list as too short: noise.
        if error["type"] == "too_short" and any(other[: len(loc)] == loc and other != loc for other in failing):
            continue
        cause = error.get("ctx", {}).get("error")
        field = getattr(cause, "field", None)
        if field:
            loc += field if isinstance(field, tuple) else (field,)
        line = doc.line_of(loc) + getattr(cause, "line_offset", 0)
        yield Problem(shown, line, field_name(loc) or "runbook", _message(error))


def field_name(loc: Iterable[str | int]) -> str:
    """`('fix', 2, 'manifest')` -> `fix[2].manifest`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


_PATTERN_HINTS = {
    "[a-z0-9]+(-[a-z0-9]+)*": "must be lower-case kebab-case (a-z, 0-9, single '-')",
    "[a-z0-9][a-z0-9.+-]*": "must be lower case: letters, digits, '.', '+', '-'",
    "seed [0-9]+": "must be an http(s) URL or `seed N: <title>`",
    "https?://": "must be an http(s) URL",
    "(>=|<=|>|<|==)": "must be a version range such as `>=1.10` or `>=1.6, <1.9.2`",
}


def _message(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        close = difflib.get_close_matches(name, _all_field_names(), n=1)
        return f"unknown field{'; did you mean ' + repr(close[0]) + '?' if close else ''}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_pattern_mismatch":
        hint = next((h for key, h in _PATTERN_HINTS.items() if key in ctx.get("pattern", "")), None)
        return f"{hint}, got {error['input']!r}" if hint else str(error["msg"])
    if kind.endswith("_type"):
        return f"{error['msg']}, got {type(error['input']).__name__} {error['input']!r}"
    return str(error["msg"])


def _all_field_names() -> set[str]:
    names: set[str] = set()
    stack: list[type[BaseModel]] = [Runbook]
    while stack:
        model = stack.pop()
        for name, info in model.model_fields.items():
            names.add(name)
            for arg in _model_args(info.annotation):
                if arg not in stack:
                    stack.append(arg)
    return names


def _model_args(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _model_args(arg)


def _unique_ids(entries: list[Entry]) -> tuple[list[Entry], list[Problem]]:
    first: dict[str, Entry] = {}
    problems = []
    for entry in entries:
        seen = first.get(entry.runbook.id)
        if seen is None:
            first[entry.runbook.id] = entry
        else:
            problems.append(
                Problem(
                    display_path(entry.path),
                    1,
                    "id",
                    f"duplicate id {entry.runbook.id!r} (also in {display_path(seen.path)})",
                )
            )
    return list(first.values()), problems


def _unknown_related(entry: Entry, catalog: Catalog, doc: YamlDocument) -> Iterator[Problem]:
    for index, other in enumerate(entry.runbook.related):
        if other not in catalog:
            close = catalog.closest(other, limit=1, sharing_words=False)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            line = doc.line_of(("related", index))
            yield Problem(display_path(entry.path), line, f"related[{index}]", f"unknown runbook id {other!r}{hint}")


def content_warnings(entry: Entry, doc: YamlDocument) -> Iterator[Problem]:
    """What `kb lint --strict` also fails on: gaps in a runbook that parses."""
    runbook, shown = entry.runbook, display_path(entry.path)

    def warn(field: str, message: str) -> Problem:
        return Problem(shown, doc.line_of((field,)), field, message, Level.WARNING)

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
        elif not _CJK.search(value):
            yield warn(field, "contains no Chinese characters")
    yield from _schema_line_warnings(entry.path, shown)


def _schema_line_warnings(path: Path, shown: str) -> Iterator[Problem]:
    with path.open(encoding="utf-8-sig") as handle:
        head = [handle.readline() for _ in range(3)]
    line = next((n for n, text in enumerate(head, start=1) if text.startswith(SCHEMA_LINE)), None)
    if line is None:
        yield Problem(shown, 1, "file", f"missing `{SCHEMA_LINE}...` line for editors", Level.WARNING)
        return
    target = head[line - 1][len(SCHEMA_LINE) :].strip()
    if not (path.parent / target).is_file():
        yield Problem(shown, line, "file", f"schema {target!r} does not exist relative to this file", Level.WARNING)
