"""What each Istio release ships (kb/data/istio-facts.json, written by scripts/istio_facts.py from Istio's own
files at its release tags), and the lint rules that hold runbooks to it.

A step, signature or note holds for the releases of `applies_to.istio` narrowed by its own `istio` range.
Every analyzer code, istioctl command, named term (status condition, label, message, field) and feature
flag it uses must exist in each minor line of that range the facts know; an analyzer code that arrived in a patch
release (IST0173 in 1.25.4) needs a range that starts there. Ambient runbooks need ambient diagnosis.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from kb.model import Runbook
from kb.versions import Range, Release, parse_range, parse_release
from kb.vocabulary import DataPlane
from kb.yamldoc import Path_

FACTS_FILE = "istio-facts.json"
_CODE = re.compile(r"\bIST[0-9]{4}\b")
# An istioctl invocation: the words up to the end of the shell command (a pipe, `;`, `&&`, `)` or a newline).
_ISTIOCTL = re.compile(r"\bistioctl((?:[ \t]+[^\s|;&)]+)*)")
_WORD = re.compile(r"[a-z][a-z0-9-]*")
# A feature flag a step sets: `PILOT_HTTP10=1`, `--set values.pilot.env.PILOT_HTTP10=true` in a command,
# `- name: PILOT_HTTP10` or `PILOT_HTTP10: "1"` (proxyMetadata) in a manifest. Setting a flag a release does not
# have changes nothing, silently; a step that only reads or greps one, or prose about one, is not checked.
# A shell variable (`$ISTIO_NAMESPACE`) is a placeholder, not a flag.
_NAME = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"
_FLAG_SET = re.compile(rf"(?<![$\w{{]){_NAME}(?==)|(?<=name: )\"?{_NAME}\b|^\s*\"?{_NAME}(?=\"?: )", re.MULTILINE)
# More patch releases than any Istio minor line has had (1.5 and 1.24 reached the teens).
_PATCHES = 40
# A regex that admits more analyzer codes than this is about codes in general, not about these ones.
_FEW_CODES = 8
# What counts as ambient diagnosis: ztunnel's own view, its logs, or a waypoint's state.
_AMBIENT_DIAGNOSIS = re.compile(r"ztunnel-config|\bztunnel\b|\bwaypoint\b")


@dataclass(frozen=True)
class Facts:
    minors: tuple[str, ...]
    codes: dict[str, Any]
    paths: dict[str, list[list[str]]]  # "experimental waypoint status" -> minor-line spans that have it
    aliases: dict[str, dict[str, str]]  # parent path -> {alias: word}: {"": {"x": "experimental"}}
    terms: dict[str, Any]
    flags: dict[str, list[list[Any]]]  # "PILOT_HTTP10" -> [[first release, default], [release it left, null]...]

    def flag_default(self, name: str, release: str) -> str | None:
        """The default a feature flag has in a release (`1.14.2`; a minor line alone means its .0) as Istio's code
        writes it, or None where the release does not register it."""
        wanted = parse_release(release).first
        value: str | None = None
        for since, default in self.flags.get(name, []):
            if parse_release(since).first > wanted:
                break
            value = default
        return value

    def flag_in(self, name: str, line: str, span: Range) -> bool:
        """Whether some release of `line` that `span` admits registers the flag."""
        releases = (f"{line}.{patch}" for patch in range(_PATCHES))
        return any(span.admits(parse_release(r)) and self.flag_default(name, r) is not None for r in releases)

    def lines(self, span: Range) -> list[str]:
        """The known minor lines a range admits."""
        return list(_admitted(self.minors, span))

    def in_spans(self, spans: list[list[str]], line: str) -> bool:
        index = self.minors.index(line)
        return any(self.minors.index(first) <= index <= self.minors.index(last) for first, last in spans)


@cache
def _admitted(minors: tuple[str, ...], span: Range) -> tuple[str, ...]:
    # Every text of a step asks for the same span: worth remembering (kb lint checks thousands of texts).
    return tuple(line for line in minors if span.admits(parse_release(line)))


@cache
def load_facts() -> Facts:
    data = json.loads(files("kb").joinpath("data", FACTS_FILE).read_text(encoding="utf-8"))
    return Facts(
        minors=tuple(data["minors"]),
        codes=data["analyzer_codes"],
        paths=data["istioctl"]["paths"],
        aliases=data["istioctl"]["aliases"],
        terms=data["terms"],
        flags=data["flags"],
    )


@dataclass(frozen=True)
class VersionProblem:
    path: Path_
    message: str


def version_problems(runbook: Runbook, facts: Facts | None = None) -> list[VersionProblem]:
    """Every use of a code, command or term outside the releases it exists in, and ambient claims without
    ambient diagnosis."""
    known = facts or load_facts()
    overall = parse_range(runbook.applies_to.istio)
    problems: list[VersionProblem] = []
    for path, istio, texts in _versioned_texts(runbook):
        span = overall if istio is None else overall.meet(parse_range(istio))
        for field, text, is_command in texts:
            problems += [VersionProblem((*path, *field), m) for m in _text_problems(text, is_command, span, known)]
            if is_command or field == ("manifest",):
                problems += [VersionProblem((*path, *field), m) for m in _flag_problems(text, span, known)]
        if path[0] == "signatures":
            for number, condition in enumerate(runbook.signatures[int(path[1])].when):
                for name in ("pattern", "matches"):
                    value = getattr(condition, name)
                    found = _regex_code_problems(value, span, known) if value else ()
                    problems += [VersionProblem((*path, "when", number, name), m) for m in found]
    problems += _ambient_problems(runbook)
    return problems


def _versioned_texts(runbook: Runbook) -> Iterator[tuple[Path_, str | None, list[tuple[Path_, str, bool]]]]:
    """(path of the item, its own range, [(field path, text, is a shell command)]) for every checked item."""
    for section in ("diagnosis", "fix", "verify"):
        for index, step in enumerate(getattr(runbook, section)):
            texts: list[tuple[Path_, str, bool]] = [(("commands", n), c, True) for n, c in enumerate(step.commands)]
            if step.expect:
                texts.append((("expect",), step.expect, False))
            manifest = getattr(step, "manifest", None)
            if manifest:
                texts.append((("manifest",), manifest, False))
            yield (section, index), step.istio, texts
    for index, signature in enumerate(runbook.signatures):
        texts = []
        for number, condition in enumerate(signature.when):
            for name in ("pattern", "equals", "matches"):
                value = getattr(condition, name)
                if value:
                    texts.append((("when", number, name), value.replace("\\", ""), False))
        yield ("signatures", index), signature.istio, texts


def _regex_code_problems(pattern: str, span: Range, facts: Facts) -> Iterator[str]:
    """A signature's regex that names analyzer codes through a class or a group (`^IST015[15]$`,
    `IST0(?:105|158)`) matches in a release when one of them ships there: each release of the range needs one.
    A pattern that admits most codes (`IST[0-9]{4}`) is about codes in general and is not judged."""
    if "IST" not in pattern:
        return
    try:
        compiled = re.compile(pattern)
    except re.error:
        return  # the loader reports a pattern that does not compile
    named = [code for code in facts.codes if compiled.search(code)]
    if not 1 < len(named) <= _FEW_CODES:
        return  # one code is written out literally, and the literal check has judged it
    missing = [line for line in facts.lines(span) if not any(line in facts.codes[code]["lines"] for code in named)]
    if missing:
        yield (
            f"none of the analyzer codes {', '.join(named)} this pattern names ships in istioctl {_list(missing)}, "
            f"but this holds for Istio {span.text}"
        )


def _text_problems(text: str, is_command: bool, span: Range, facts: Facts) -> Iterator[str]:
    lines = facts.lines(span)
    if not lines:
        return
    claimed = f"this holds for Istio {span.text}"
    for code in dict.fromkeys(_CODE.findall(text)):
        yield from _code_problems(code, span, lines, claimed, facts)
    if is_command:
        for words in _ISTIOCTL.findall(text):
            yield from _command_problems(words.split(), lines, claimed, facts)
    for term, fact in facts.terms.items():
        if term in text:
            missing = [line for line in lines if line not in fact["lines"]]
            if missing:
                where = ", ".join(fact["repositories"])
                yield f"{fact['kind']} `{term}` is not in Istio {_list(missing)} ({where}), but {claimed}"


def _flag_problems(text: str, span: Range, facts: Facts) -> Iterator[str]:
    for name in dict.fromkeys(found.strip(' "') for found in _FLAG_SET.findall(text)):
        if name in facts.flags:
            missing = [line for line in facts.lines(span) if not facts.flag_in(name, line, span)]
            if missing:
                yield (
                    f"feature flag `{name}` is registered in no Istio {_list(missing)} (istio/istio), so setting it "
                    f"there changes nothing, but this holds for Istio {span.text}"
                )


def _code_problems(code: str, span: Range, lines: list[str], claimed: str, facts: Facts) -> Iterator[str]:
    fact = facts.codes.get(code)
    if fact is None:
        yield f"analyzer code {code} is in no Istio release ({FACTS_FILE})"
        return
    # A code ships where an analyzer reports it; a message catalog entry alone is never reported.
    ships = shipping_range(fact["lines"], facts.minors) or "no release"
    name = f"analyzer code {code} ({fact['name']})"
    missing = [line for line in lines if line not in fact["lines"]]
    if missing:
        listed = [line for line in missing if line in fact.get("catalog_only", {})]
        note = f" (the {_list(listed)} message catalogs list it, but no analyzer reports it)" if listed else ""
        yield f"{name} ships in istioctl {ships}, not in {_list(missing)}{note}, but {claimed}"
        return
    for line in lines:
        first = parse_release(fact["lines"][line])
        if first.patch and span.admits(Release(first.major, first.minor, first.patch - 1)):
            yield f"{name} ships in the {line} line only from {first} (it ships in istioctl {ships}), but {claimed}"
            return


def shipping_range(first_patch: dict[str, str], minors: tuple[str, ...]) -> str:
    """The range of releases that ship a code, from the first patch of each minor line that has it:
    {1.25: 1.25.4, 1.26: 1.26.1, 1.27: 1.27.0, ...} -> `>=1.25.4, <1.26 || >=1.26.1`."""
    intervals: list[list[str]] = []
    for line in minors:
        first = first_patch.get(line)
        if intervals and len(intervals[-1]) == 1 and (first is None or not first.endswith(".0")):
            intervals[-1].append(f"<{line}")  # the open interval ends where this line starts
        if first is not None and (not intervals or len(intervals[-1]) == 2):
            intervals.append([f">={first.removesuffix('.0')}"])
    return " || ".join(", ".join(interval) for interval in intervals)


def command_path(words: list[str], facts: Facts) -> tuple[list[str], list[str]]:
    """The longest istioctl command path `words` name in some release (aliases resolved), as
    (canonical path, words as typed): `x waypoint status NAME` -> (experimental waypoint status, x waypoint status)."""
    path: list[str] = []
    typed: list[str] = []
    skip = False
    for word in words:
        if skip or word.startswith("-"):
            # A flag before the command words (`--context $CTX`): its value is not a command either.
            skip = word.startswith("-") and "=" not in word and not path
            continue
        if not _WORD.fullmatch(word):
            break
        canonical = facts.aliases.get(" ".join(path), {}).get(word, word)
        if " ".join([*path, canonical]) not in facts.paths:
            break
        path.append(canonical)
        typed.append(word)
    return path, typed


def _command_problems(words: list[str], lines: list[str], claimed: str, facts: Facts) -> Iterator[str]:
    path, typed = command_path(words, facts)
    if not path:
        first = next((word for word in words if _WORD.fullmatch(word)), None)
        if first is not None and not words[0].startswith("-"):
            yield f"`istioctl {first}` is a command of no Istio release ({FACTS_FILE})"
        return
    spans = facts.paths[" ".join(path)]
    missing = [line for line in lines if not facts.in_spans(spans, line)]
    if missing:
        there = _elsewhere(path, typed, missing[0], facts)
        yield f"`istioctl {' '.join(typed)}` is not in istioctl {_list(missing)}{there}, but {claimed}"


def _elsewhere(path: list[str], typed: list[str], line: str, facts: Facts) -> str:
    """Where the same command lives in `line`: under `experimental` (`x`), or out of it."""
    moved, shown = (path[1:], typed[1:]) if path[0] == "experimental" else (["experimental", *path], ["x", *typed])
    spans = facts.paths.get(" ".join(moved))
    if spans is not None and facts.in_spans(spans, line):
        return f" (it has `istioctl {' '.join(shown)}`)"
    return ""


def _ambient_problems(runbook: Runbook) -> Iterator[VersionProblem]:
    if DataPlane.AMBIENT not in runbook.applies_to.data_plane:
        return
    steps = [*runbook.diagnosis, *runbook.fix, *runbook.verify]
    if not any(_AMBIENT_DIAGNOSIS.search(command) for step in steps for command in step.commands):
        yield VersionProblem(
            ("applies_to", "data_plane"),
            "claims ambient but no step's command looks at ztunnel or a waypoint "
            "(istioctl ztunnel-config, ztunnel logs, waypoint status); add one or claim sidecar only",
        )


def _list(lines: list[str]) -> str:
    """Minor lines as runs: `1.20, 1.21, 1.22`, `1.23..1.30`, or `1.4, 1.5, 1.12..1.15` across a union's gap."""
    runs: list[list[str]] = []
    for line in lines:
        if runs and _next_minor(runs[-1][-1]) == line:
            runs[-1].append(line)
        else:
            runs.append([line])
    return ", ".join(f"{run[0]}..{run[-1]}" if len(run) > 3 else ", ".join(run) for run in runs)


def _next_minor(line: str) -> str:
    major, minor = line.split(".")
    return f"{major}.{int(minor) + 1}"
