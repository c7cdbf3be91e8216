"""PyYAML behind one module: parse a runbook keeping each field's line, and check manifest YAML.

PyYAML on its own keeps the last of two duplicate keys and expands aliases silently; a runbook
author needs both reported, so documents are composed to nodes, checked, then constructed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

# libyaml parses runbooks about ten times faster than the pure-Python reader and keeps the same marks.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(ValueError):
    """A YAML-level problem at a 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class YamlDocument:
    """Constructed data plus the line of every key and sequence item, by path."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: tuple[tuple[Path_, int, str], ...] = ()

    def line_of(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that exists in the file."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1


def parse_document(text: str) -> YamlDocument:
    """Parse one YAML document; raise YamlProblem for syntax errors, aliases or an empty file."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise YamlProblem(1, "the file holds no YAML document")
            lines: dict[Path_, int] = {(): node.start_mark.line + 1}
            problems = tuple(_index(node, (), lines, set()))
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlProblem(line, f"YAML syntax error: unacceptable character #x{exc.character:04x}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlProblem(mark.line + 1 if mark is not None else 1, _yaml_message(exc)) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"YAML error: {exc}") from None
    return YamlDocument(data=data, lines=lines, problems=problems)


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int], seen: set[int]) -> Iterator[tuple[Path_, int, str]]:
    if id(node) in seen:
        # The same node reached twice means an alias; expanding it invites exponential documents.
        raise YamlProblem(node.start_mark.line + 1, "anchors and aliases are not supported in runbooks")
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in keys:
                yield (*path, key), line, f"duplicate key (first at line {keys[key]})"
                continue
            keys[key] = line
            lines[(*path, key)] = line
            yield from _index(value_node, (*path, key), lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            yield from _index(item, (*path, index), lines, seen)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [exc.context, exc.problem]
    return "YAML syntax error: " + ", ".join(part for part in parts if part)


def manifest_problems(text: str) -> list[tuple[int, str]]:
    """Problems of a multi-document Kubernetes manifest as (1-based line within it, message)."""
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return [(mark.line + 1 if mark is not None else 1, "manifest " + _yaml_message(exc))]
    except yaml.YAMLError as exc:
        return [(1, f"manifest is not valid YAML: {exc}")]
    resources = [doc for doc in documents if doc is not None]
    if not resources:
        return [(1, "manifest is empty")]
    problems: list[tuple[int, str]] = []
    for number, doc in enumerate(resources, start=1):
        if not isinstance(doc, dict):
            problems.append((1, f"manifest document {number} is not a mapping"))
            continue
        missing = [key for key in ("apiVersion", "kind") if not isinstance(doc.get(key), str) or not doc[key]]
        if missing:
            problems.append((1, f"manifest document {number} lacks {' and '.join(missing)}"))
    return problems


def manifest_resources(text: str) -> list[dict[str, Any]]:
    """The resource mappings of a manifest that `manifest_problems` found valid."""
    return [doc for doc in yaml.load_all(text, Loader=_Loader) if isinstance(doc, dict)]
