"""PyYAML behind one module: parse a runbook keeping each field's line, and parse manifest YAML.

PyYAML on its own keeps the last of two duplicate keys and expands aliases silently; a runbook
author needs both reported, so documents are composed to nodes, checked, then constructed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

# libyaml parses runbooks about ten times faster than the pure-Python reader and keeps the same marks.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# libyaml reports reader errors at a byte offset into the UTF-8 text, the pure-Python reader at a character.
_BYTE_POSITIONS = _Loader is not yaml.SafeLoader
MAX_DEPTH = 64
# YAML counts these as line breaks; editors and grep do not, so every later line number would disagree.
_LINE_SEPARATORS = {"\u2028": "U+2028", "\u2029": "U+2029", "\x85": "U+0085"}


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
    block_scalars: frozenset[Path_] = frozenset()
    problems: tuple[tuple[Path_, int, str], ...] = ()

    def line_of(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that exists in the file."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1

    def content_line(self, path: Path_, offset: int) -> int:
        """The file line of line `offset` (1-based) inside the scalar at `path`; exact for `|`/`>` blocks."""
        line = self.line_of(path)
        return line + offset if path in self.block_scalars else line


def parse_document(text: str) -> YamlDocument:
    """Parse one YAML document; raise YamlProblem for syntax errors, aliases, deep nesting or an empty file."""
    for separator, name in _LINE_SEPARATORS.items():
        index = text.find(separator)
        if index >= 0:
            raise YamlProblem(text.count("\n", 0, index) + 1, f"contains {name}, a Unicode line separator; remove it")
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise YamlProblem(1, "the file holds no YAML document")
            lines, blocks, problems = _index(node)
            data = _construct(node, loader)
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError) as exc:
        # PyYAML has nesting limits of its own (libyaml's scanner, the pure-Python parser's recursion); whichever
        # fires, kb's rule and wording hold: the depth is measured by kb before PyYAML's error is reported.
        deep_line = _line_too_deep(text)
        if deep_line is not None:
            raise YamlProblem(deep_line, f"nested deeper than {MAX_DEPTH} levels") from None
        raise _problem_of(exc, text) from None
    return YamlDocument(data=data, lines=lines, block_scalars=frozenset(blocks), problems=tuple(problems))


def _problem_of(exc: yaml.YAMLError | RecursionError, text: str) -> YamlProblem:
    if isinstance(exc, yaml.reader.ReaderError):
        return YamlProblem(_reader_line(text, exc.position), f"YAML syntax error: {_reader_reason(exc)}")
    if isinstance(exc, yaml.MarkedYAMLError):
        return YamlProblem(*_marked(exc, text))
    return YamlProblem(1, f"YAML error: {exc}")


_OPENERS = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSERS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _line_too_deep(text: str) -> int | None:
    """The line where collections nest deeper than MAX_DEPTH, read from PyYAML's pure-Python scanner.

    The scanner keeps its indentation and flow levels in lists, not on the call stack, and has no limit
    of its own, so it measures what libyaml or the recursive parser would refuse. Only documents that
    failed to parse come here, so its slowness costs nothing on good runbooks.
    """
    try:
        scanner = yaml.SafeLoader(text)
    except yaml.YAMLError:
        return None  # unreadable characters: PyYAML's report stands
    depth = 0
    try:
        while (token := scanner.get_token()) is not None:  # type: ignore[no-untyped-call]
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > MAX_DEPTH:
                    return int(token.start_mark.line) + 1
            elif isinstance(token, _CLOSERS):
                depth -= 1
    except yaml.YAMLError:
        return None  # a syntax error before any excess depth: PyYAML's report stands
    finally:
        scanner.dispose()
    return None


def _index(root: yaml.Node) -> tuple[dict[Path_, int], set[Path_], list[tuple[Path_, int, str]]]:
    """Walk the node tree (iteratively, so depth cannot exhaust the stack) recording lines and problems."""
    lines: dict[Path_, int] = {(): root.start_mark.line + 1}
    blocks: set[Path_] = set()
    problems: list[tuple[Path_, int, str]] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Path_]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            # The same node reached twice means an alias; expanding it invites exponential documents.
            raise YamlProblem(node.start_mark.line + 1, "anchors and aliases are not supported in runbooks")
        seen.add(id(node))
        if len(path) > MAX_DEPTH:
            raise YamlProblem(node.start_mark.line + 1, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key_node, value_node in node.value:
                key, line = str(key_node.value), key_node.start_mark.line + 1
                if key in keys:
                    problems.append(((*path, key), line, f"duplicate key (first at line {keys[key]})"))
                    continue
                keys[key] = lines[(*path, key)] = line
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[(*path, index)] = item.start_mark.line + 1
                stack.append((item, (*path, index)))
        elif isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            blocks.add(path)
    return lines, blocks, problems


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Unusual(Exception):
    """A node the fast constructor leaves to PyYAML: a merge key, a collection as a key, an explicit tag."""


def _construct(root: yaml.Node, loader: yaml.SafeLoader) -> Any:
    """The document's data, as PyYAML's safe constructor would build it, about four times faster.

    Runbooks are plain mappings, lists and strings; PyYAML builds those through generators and
    per-node bookkeeping that cost a third of parsing a runbook. Anything else (numbers, booleans,
    dates) is built by PyYAML itself, and a document with an unusual node entirely by PyYAML. `_index`
    has already refused aliases (a recursive one would never end here) and deep nesting, so only a runbook
    document, after `_index`, may come here.
    """
    try:
        return _plain(root, loader)
    except _Unusual:
        pass
    try:
        return loader.construct_document(root)
    except (ValueError, TypeError) as exc:  # PyYAML's own constructors raise these on values like 2021-13-45
        raise YamlProblem(root.start_mark.line + 1, f"YAML value error: {exc}") from None


def _plain(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise _Unusual  # e.g. `!!seq text`, which PyYAML refuses
        try:
            return loader.construct_object(node)
        except (ValueError, TypeError) as exc:
            message = f"cannot read {node.value[:60]!r} as {node.tag}: {exc}"
            raise YamlProblem(node.start_mark.line + 1, message) from None
    if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
        return [_plain(item, loader) for item in node.value]
    if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
        mapping = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_KEY_TAGS:
                raise _Unusual
            key = key_node.value if key_node.tag == _STR else loader.construct_object(key_node)
            mapping[key] = _plain(value_node, loader)  # a duplicate key keeps its last value, as in PyYAML
        return mapping
    raise _Unusual


# Keys other than these (`<<` merges, timestamps, binary) are left to PyYAML.
_SCALAR_KEY_TAGS = frozenset({_STR, "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"})
# Scalars PyYAML builds on the spot; a scalar with any other tag (a collection tag on plain text) is refused by
# PyYAML only when its pending work runs, which `_plain` never does, so those documents go to PyYAML whole.
_SCALAR_TAGS = _SCALAR_KEY_TAGS | {f"tag:yaml.org,2002:{name}" for name in ("float", "timestamp", "binary")}


def _reader_line(text: str, position: int) -> int:
    before = text.encode("utf-8")[:position] if _BYTE_POSITIONS else text[:position].encode("utf-8")
    return before.count(b"\n") + 1


def _reader_reason(exc: yaml.reader.ReaderError) -> str:
    return f"unacceptable character #x{exc.character:04x}: {exc.reason.replace('special', 'control')}"


def _marked(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    message = "YAML syntax error: " + ", ".join(part for part in (exc.context, exc.problem) if part)
    source_lines = text.splitlines()
    if mark is not None and mark.line < len(source_lines) and "\t" in source_lines[mark.line]:
        message += " (this line has a tab; YAML indents with spaces only)"
    return line, message


@dataclass(frozen=True)
class ManifestDocument:
    line: int
    resource: Any
    # Line (inside the manifest) of every key and item of this document, by path; () is the document's start.
    lines: dict[Path_, int] = field(default_factory=dict)


def parse_manifest(text: str) -> tuple[list[ManifestDocument], list[tuple[int, str]]]:
    """The documents of a multi-document manifest with their 1-based lines, and its problems."""
    try:
        loader = _Loader(text)
        try:
            documents = []
            while loader.check_node():
                node = loader.get_node()
                if node is not None:
                    _refuse_aliases_and_depth(node)
                    documents.append(
                        ManifestDocument(node.start_mark.line + 1, loader.construct_document(node), _lines_of(node))
                    )
        finally:
            loader.dispose()
    except YamlProblem as exc:
        return [], [(exc.line, f"manifest {exc.message}")]
    except yaml.reader.ReaderError as exc:
        return [], [(_reader_line(text, exc.position), f"manifest YAML syntax error: {_reader_reason(exc)}")]
    except yaml.MarkedYAMLError as exc:
        line, message = _marked(exc, text)
        return [], [(line, "manifest " + message)]
    except yaml.YAMLError as exc:
        return [], [(1, f"manifest is not valid YAML: {exc}")]
    except (ValueError, TypeError) as exc:  # raised by PyYAML's constructors on values like 2021-13-45
        return [], [(1, f"manifest holds a value YAML cannot read: {exc}")]
    documents = [doc for doc in documents if doc.resource is not None]
    if not documents:
        return [], [(1, "manifest is empty")]
    problems: list[tuple[int, str]] = []
    for number, doc in enumerate(documents, start=1):
        if not isinstance(doc.resource, dict):
            problems.append((doc.line, f"manifest document {number} is not a mapping"))
            continue
        missing = [key for key in ("apiVersion", "kind") if not isinstance(doc.resource.get(key), str)]
        if missing:
            problems.append((doc.line, f"manifest document {number} lacks {' and '.join(missing)}"))
    return documents, problems


def _lines_of(node: yaml.Node) -> dict[Path_, int]:
    try:
        return _index(node)[0]
    except YamlProblem:  # aliases or deep nesting: the document is reported elsewhere, lines are a nicety
        return {}


def _refuse_aliases_and_depth(root: yaml.Node) -> None:
    """The limits runbook files have, for a manifest: no node reached twice (an alias), no deep nesting.

    A manifest's aliases are as dangerous as a runbook's: ten lines of them name a billion strings, which
    cost nothing to build (PyYAML shares them) but everything to print or check (`str(resource["kind"])`).
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise YamlProblem(node.start_mark.line + 1, "anchors and aliases are not supported in manifests")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlProblem(node.start_mark.line + 1, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)


def manifest_resources(text: str) -> list[dict[str, Any]]:
    """The resource mappings of a manifest (those that parse), for readers that only need their kinds."""
    documents, _ = parse_manifest(text)
    return [doc.resource for doc in documents if isinstance(doc.resource, dict)]
