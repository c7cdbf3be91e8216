"""istioctl's command tree at one release tag, read from its Go source without building it.

Cobra wires commands as data: `&cobra.Command{Use: "waypoint", Aliases: []string{...}}` literals, functions
returning them, and `parent.AddCommand(child, ...)` calls (also through `for _, c := range list` over a
`[]*cobra.Command{...}` literal). This module follows exactly those forms from the literal whose `Use` is
`istioctl`: a variable stands for every value assigned to it, a call for what the called function returns
(same package, or an imported package of this repository). What it cannot follow (a command from another
module) is left out, so a path it lists exists, and a path it misses is one the caller can add by hand.

    tree = command_tree(git_dir, "1.22.0")   # {"experimental waypoint status", ...}, {parent path: {alias: word}}
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOTS = ("istioctl", "operator/cmd/mesh", "pkg", "tools/bug-report")
MODULE = "istio.io/istio/"
_FUNC = re.compile(r"^func\s+(?:\([^)]*\)\s*)?(\w+)\s*\(", re.M)
_ASSIGN = re.compile(r"(?<![\w.])(\w+)\s*(?::=|=)(?!=)")
_VAR = re.compile(r"\bvar\s+(\w+)(?:\s+[\w.*\[\]]+)?\s*=(?!=)")
_ADD = re.compile(r"(?<![\w.])(\w+)\.AddCommand\(")
_RANGE = re.compile(r"\bfor\s+_\s*,\s*(\w+)\s*:=\s*range\s+(\w+)")
_RETURN = re.compile(r"\breturn\s+")
_LITERAL = re.compile(r"&cobra\.Command\s*\{")
_LIST = re.compile(r"\[\]\*cobra\.Command\s*\{")
_CALL = re.compile(r"((?:\w+\.)*\w+)\s*\(")
_IDENT = re.compile(r"\w+")
_USE = re.compile(r'\bUse:\s*(?:"([a-z][a-z0-9-]*)|(?:\w+\.)?(\w+)\s*[,}\n])')
_USAGE = re.compile(r'\b\w*Us(?:ag)?e:\s*"([a-z][a-z0-9-]*)')
_ALIASES = re.compile(r"\bAliases:\s*\[\]string\s*\{([^}]*)\}")
_IMPORT = re.compile(r'(?:^|\n)\s*(?:import\s+)?(\w+\s+)?"(istio\.io/istio/[^"]+)"')
MAX_DEPTH = 6
# Commands built by another module before they moved into this repository: `istioVersion.CobraCommandWithOptions`
# of istio.io/pkg/version (the module is not read, so its command word is known here).
EXTERNAL = {"CobraCommand": "version", "CobraCommandWithOptions": "version"}
_EXTERNAL_IMPORT = re.compile(r'(?:^|\n)\s*(?:import\s+)?(\w+\s+)?"istio\.io/pkg/version"')


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, text=True).stdout


def mask(source: str) -> str:
    """The source with comments and string contents blanked (same length), so braces and names can be found."""
    out = list(source)
    index, size = 0, len(source)
    while index < size:
        char = source[index]
        if source.startswith("//", index):
            end = source.find("\n", index)
            end = size if end < 0 else end
        elif source.startswith("/*", index):
            end = source.find("*/", index + 2)
            end = size if end < 0 else end + 2
        elif char in "\"'`":
            end = index + 1
            while end < size and source[end] != char and not (char != "`" and source[end] == "\n"):
                end += 2 if source[end] == "\\" and char != "`" else 1
            end += 1
            for position in range(index + 1, min(end - 1, size)):
                out[position] = " " if source[position] != "\n" else "\n"
            index = end
            continue
        else:
            index += 1
            continue
        for position in range(index, end):
            out[position] = " " if source[position] != "\n" else "\n"
        index = end
    return "".join(out)


def closing(text: str, start: int) -> int:
    """Index just past the bracket that closes the one at `start`."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    depth = 0
    for index in range(start, len(text)):
        if text[index] in pairs:
            depth += 1
        elif text[index] in pairs.values():
            depth -= 1
            if depth == 0:
                return index + 1
    return len(text)


def split_args(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level comma-separated part of `text`."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append((start, index))
            start = index + 1
    parts.append((start, len(text)))
    return [(a, b) for a, b in parts if text[a:b].strip()]


@dataclass(eq=False)
class Node:
    use: str
    aliases: tuple[str, ...]
    children: list[Node] = field(default_factory=list)


@dataclass
class Source:
    dir: str
    text: str
    masked: str
    imports: dict[str, str]


@dataclass
class Body:
    """A function body (or a package's top level) as statements: assignments, AddCommand calls, returns."""

    source: Source
    start: int
    end: int
    assigned: dict[str, list[tuple[str, Source, int]]] = field(default_factory=dict)  # kind: value or range
    adds: list[tuple[str, int]] = field(default_factory=list)  # (receiver, offset of the argument list)
    returns: list[int] = field(default_factory=list)


class Tree:
    def __init__(self, repo: Path, tag: str) -> None:
        self.repo, self.tag = repo, tag
        self.sources: dict[str, list[Source]] = {}
        self.functions: dict[tuple[str, str], Body] = {}
        self.package: dict[str, Body] = {}
        self.literals: dict[tuple[int, int], Node] = {}
        self.results: dict[int, list[Node]] = {}
        self.busy: set[int] = set()
        self.inits: list[Body] = []
        self._read()

    def _read(self) -> None:
        listed = git(self.repo, "grep", "-l", "spf13/cobra", self.tag, "--", *ROOTS).split()
        files = [f.split(":", 1)[1] for f in listed if f.endswith(".go") and not f.endswith("_test.go")]
        for path in files:
            text = git(self.repo, "show", f"{self.tag}:{path}")
            directory = path.rsplit("/", 1)[0]
            masked = mask(text)
            imports = {}
            for alias, module in _IMPORT.findall(text):
                imports[(alias.strip() or module.rsplit("/", 1)[1])] = module[len(MODULE) :]
            source = Source(directory, text, masked, imports)
            self.sources.setdefault(directory, []).append(source)
            self._index(source)

    def _index(self, source: Source) -> None:
        top = list(source.masked)
        for found in _FUNC.finditer(source.masked):
            params = source.masked.index("(", found.end() - 1)
            brace = source.masked.find("{", closing(source.masked, params))
            if brace < 0:
                continue
            end = closing(source.masked, brace)
            body = self._statements(source, brace, end)
            self.functions.setdefault((source.dir, found.group(1)), body)
            if found.group(1) == "init":
                self.inits.append(body)
            top[brace:end] = " " * (end - brace)
        scope = self._statements(source, 0, len(source.masked), "".join(top))
        package = self.package.setdefault(source.dir, Body(source, 0, 0))
        for name, values in scope.assigned.items():
            package.assigned.setdefault(name, []).extend(values)

    def _statements(self, source: Source, start: int, end: int, masked: str | None = None) -> Body:
        text = (masked or source.masked)[start:end]
        body = Body(source, start, end)
        for found in _VAR.finditer(text):
            body.assigned.setdefault(found.group(1), []).append(("value", source, start + found.end()))
        for found in _ASSIGN.finditer(text):
            body.assigned.setdefault(found.group(1), []).append(("value", source, start + found.end()))
        for found in _RANGE.finditer(text):
            body.assigned.setdefault(found.group(1), []).append(("range", source, start + found.start(2)))
        body.adds = [(found.group(1), start + found.end() - 1) for found in _ADD.finditer(text)]
        body.returns = [start + found.end() for found in _RETURN.finditer(text)]
        return body

    # --- evaluation: what commands an expression stands for -------------------------------------------------

    def expression(self, body: Body, at: int, depth: int = 0) -> list[Node]:
        masked, source = body.source.masked, body.source
        while at < len(masked) and masked[at] in " \t\n":
            at += 1
        rest = masked[at : at + 200]
        if depth > 40:
            return []
        if _LITERAL.match(rest):
            return [self._literal(source, at)]
        if _LIST.match(rest):
            brace = masked.index("{", at)
            end = closing(masked, brace)
            inner = masked[brace + 1 : end - 1]
            return [n for a, _ in split_args(inner) for n in self.expression(body, brace + 1 + a, depth + 1)]
        call = _CALL.match(rest)
        if call:
            return self._call(body, call.group(1), at + call.end() - 1, depth)
        name = _IDENT.match(rest)
        return self.variable(body, name.group(0), depth) if name else []

    def _literal(self, source: Source, at: int) -> Node:
        key = (id(source), at)
        if key not in self.literals:
            end = closing(source.masked, source.masked.index("{", at))
            # Only the literal's own fields: a nested literal's Use is masked out by cutting at the first `{`.
            text = source.text[at:end]
            use = _USE.search(text)
            word = (use.group(1) or self._constant(use.group(2))) if use else ""
            aliases = _ALIASES.search(text)
            words = tuple(re.findall(r'"([a-z][a-z0-9-]*)"', aliases.group(1))) if aliases else ()
            self.literals[key] = Node(word, words)
        return self.literals[key]

    def _external(self, source: Source, parts: list[str], paren: int) -> list[Node]:
        imported = _EXTERNAL_IMPORT.search(source.text)
        alias = (imported.group(1) or "version").strip() if imported else None
        if len(parts) < 2 or parts[-2] != alias or parts[-1] not in EXTERNAL:
            return []
        key = (id(source), paren)
        self.literals.setdefault(key, Node(EXTERNAL[parts[-1]], ()))
        return [self.literals[key]]

    def _constant(self, name: str) -> str:
        """The first word of a string constant `Use:` names (`Use: config.CommandUsage`)."""
        found = git(self.repo, "grep", "-hoE", rf"\b{name}\s*=\s*\"[a-z][a-z0-9-]*", self.tag, "--", *ROOTS)
        return found.split('"', 1)[1].strip() if '"' in found else ""

    def variable(self, body: Body, name: str, depth: int) -> list[Node]:
        if depth > 40:
            return []
        for scope in (body, self.package.get(body.source.dir)):
            if scope is None or name not in scope.assigned:
                continue
            # A package-level value is read in its own file, with only package names in reach.
            nodes: list[Node] = []
            for kind, source, at in scope.assigned[name]:
                where = body if scope is body else Body(source, 0, 0)
                if kind == "range":
                    listed = _IDENT.match(source.masked, at)
                    nodes += self.variable(where, listed.group(0), depth + 1) if listed else []
                else:
                    nodes += self.expression(where, at, depth + 1)
            return list(dict.fromkeys(nodes))
        return []

    def _call(self, caller: Body, name: str, paren: int, depth: int) -> list[Node]:
        source = caller.source
        parts = name.split(".")
        directory = source.dir if len(parts) == 1 else source.imports.get(parts[-2])
        body = self.functions.get((directory, parts[-1])) if directory else None
        if body is None:
            return self._external(source, parts, paren)
        returned = self.run(body, depth + 1)
        if not returned:
            # A wrapper of a command argument (`softGraduatedCmd(mesh.UninstallCmd(...))` returns a changed copy).
            inner = source.masked[paren + 1 : closing(source.masked, paren) - 1]
            return [n for a, _ in split_args(inner) for n in self.expression(caller, paren + 1 + a, depth)]
        if not any(node.use for node in returned):
            # The Use comes from the caller (`createDashCmd(ctx, Config{CommandUsage: "envoy ..."})`).
            usage = _USAGE.search(source.text, paren, closing(source.masked, paren))
            if usage:
                key = (id(source), paren)
                if key not in self.literals:
                    self.literals[key] = Node(usage.group(1), (), returned[0].children)
                return [self.literals[key]]
        return returned

    def run(self, body: Body, depth: int = 0) -> list[Node]:
        """Wire the body's AddCommand calls; the commands it returns."""
        key = id(body)
        if key in self.results:
            return self.results[key]
        if key in self.busy or depth > 40:
            return []
        self.busy.add(key)
        self.wire(body, depth)
        returned = [n for at in body.returns for n in self.expression(body, at, depth)]
        self.busy.discard(key)
        self.results[key] = list(dict.fromkeys(returned))
        return self.results[key]

    def wire(self, body: Body, depth: int = 0) -> None:
        masked = body.source.masked
        for receiver, paren in body.adds:
            parents = self.variable(body, receiver, depth)
            inner = masked[paren + 1 : closing(masked, paren) - 1]
            children = [n for a, _ in split_args(inner) for n in self.expression(body, paren + 1 + a, depth + 1)]
            for parent in parents:
                parent.children.extend(c for c in children if c is not parent and c not in parent.children)

    def root(self) -> Node | None:
        for sources in self.sources.values():
            for source in sources:
                found = re.search(r'\bUse:\s*"istioctl"', source.text)
                if not found:
                    continue
                at = source.masked.rfind("&cobra.Command", 0, found.start())
                node = self._literal(source, at)
                for (directory, _), body in list(self.functions.items()):
                    if directory == source.dir and body.start <= at < body.end:
                        self.run(body)
                for body in self.inits:
                    self.wire(body)
                return node
        return None


def command_tree(repo: Path, tag: str) -> tuple[set[str], dict[str, dict[str, str]]]:
    """Every command path under `istioctl` at `tag` ("experimental waypoint status"), and each parent path's
    aliases ({"": {"x": "experimental"}})."""
    tree = Tree(repo, tag)
    root = tree.root()
    paths: set[str] = set()
    aliases: dict[str, dict[str, str]] = {}

    def walk(node: Node, prefix: tuple[str, ...], seen: frozenset[int]) -> None:
        if len(prefix) >= MAX_DEPTH:
            return
        for child in node.children:
            if not child.use or id(child) in seen:
                continue
            path = (*prefix, child.use)
            paths.add(" ".join(path))
            for alias in child.aliases:
                aliases.setdefault(" ".join(prefix), {})[alias] = child.use
            walk(child, path, seen | {id(child)})

    if root is not None:
        walk(root, (), frozenset({id(root)}))
    return paths, aliases
