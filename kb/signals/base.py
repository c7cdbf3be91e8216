"""The interface every extractor implements: a paste in, a list of Signals (with line numbers) out."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from kb.vocabulary import SignalKind

# A signal seen on many lines keeps this many line numbers as evidence; the later ones are dropped.
MAX_LINES_PER_SIGNAL = 5


@dataclass(frozen=True)
class Signal:
    """One structured fact found in a paste, with the 1-based line it was found on."""

    kind: SignalKind
    value: str
    line: int


@dataclass(frozen=True)
class Paste:
    """A pasted text and where its lines start, so a match offset becomes a line number.

    Extractors run their patterns over the whole text in one pass (C speed, linear because every
    pattern's repetitions are bounded) instead of looping over lines in Python.
    """

    text: str
    starts: tuple[int, ...] = field(repr=False)

    @classmethod
    def of(cls, text: str) -> Paste:
        return cls(text, (0, *(match.end() for match in _NEWLINE.finditer(text))))

    def line_at(self, offset: int) -> int:
        """The 1-based line holding character `offset`."""
        return bisect.bisect_right(self.starts, offset)

    @cached_property
    def _lower(self) -> str | None:
        lower = self.text.lower()
        # Lower-casing a few non-ASCII characters changes the length; then offsets would not line up.
        return lower if len(lower) == len(self.text) else None

    def regions(self, needles: Sequence[str], ignore_case: bool = False) -> list[tuple[int, str]]:
        """(offset, text) of every line holding one of `needles` (lower-case ones when `ignore_case`).

        Python's regex engine costs tens of nanoseconds per character even where nothing can match;
        `str.find` skips unrelated text far faster, so a 1 MB log of other output costs little.
        """
        haystack = self._lower if ignore_case else self.text
        if haystack is None:
            return [(0, self.text)]
        lines: dict[int, int] = {}
        for needle in needles:
            at = haystack.find(needle)
            while at != -1:
                start = haystack.rfind("\n", 0, at) + 1
                end = haystack.find("\n", at)
                end = len(haystack) if end == -1 else end
                lines[start] = end
                at = haystack.find(needle, end)
        return [(start, self.text[start : lines[start]]) for start in sorted(lines)]


_NEWLINE = re.compile("\n")


class Extractor(Protocol):
    """The interface every module in this package implements."""

    name: str
    description: str

    def extract(self, paste: Paste) -> list[Signal]: ...


Value = Callable[[re.Match[str]], "str | None"]


def find_all(
    paste: Paste,
    pattern: re.Pattern[str],
    kind: SignalKind,
    value: Value,
    needles: Sequence[str] = (),
    ignore_case: bool = False,
) -> list[Signal]:
    """One signal of `kind` per match of `pattern`, valued by `value(match)` (None skips the match).

    With `needles`, only lines holding one of them are searched: every match must contain one.
    """
    found = []
    for line, match in matches(paste, pattern, needles, ignore_case):
        result = value(match)
        if result:
            found.append(Signal(kind, result, line))
    return found


def matches(
    paste: Paste, pattern: re.Pattern[str], needles: Sequence[str] = (), ignore_case: bool = False
) -> Iterator[tuple[int, re.Match[str]]]:
    """(line number, match) for every match of `pattern`, searching only lines with `needles` if given."""
    for offset, text in paste.regions(needles, ignore_case) if needles else [(0, paste.text)]:
        for match in pattern.finditer(text):
            yield paste.line_at(offset + match.start()), match


def constant(value: str) -> Value:
    """A `value` function for patterns whose every match means the same thing."""
    return lambda _: value


def whole(match: re.Match[str]) -> str:
    return match[0]


def first_group(match: re.Match[str]) -> str | None:
    """The first group that took part in the match: the value of most extractor patterns."""
    return next((group for group in match.groups() if group), None)


def dedupe(signals: Sequence[Signal]) -> list[Signal]:
    """Drop repeats: the same kind and value keep their first MAX_LINES_PER_SIGNAL line numbers."""
    kept: list[Signal] = []
    count: dict[tuple[SignalKind, str], int] = {}
    for signal in sorted(set(signals), key=lambda s: (s.line, s.kind, s.value)):
        key = (signal.kind, signal.value)
        count[key] = count.get(key, 0) + 1
        if count[key] <= MAX_LINES_PER_SIGNAL:
            kept.append(signal)
    return kept
