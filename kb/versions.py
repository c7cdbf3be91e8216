"""Istio version ranges and the view of a runbook for one Istio release. Pure functions, no I/O.

A range is the text runbooks use in `applies_to.istio` and in a step's, signature's or note's `istio`
field: constraints joined by commas, all of which must hold (`>=1.22`, `>=1.22, <1.24`, `==1.14`).
A release asked for without a patch number (`1.22`) stands for its whole minor line: a range holds for
it when it holds for at least one `1.22.z`, so `>=1.25.4` is shown for `1.25` with its range as label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.errors import UsageError

if TYPE_CHECKING:
    from kb.model import Runbook

Version = tuple[int, int, int]
_RELEASE = re.compile(r"^v?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?$")
_CONSTRAINT = re.compile(r"^(>=|<=|>|<|==)\s*([0-9]+)\.([0-9]+)(?:\.([0-9]+))?$")
# Larger than any real patch number: the last release of a minor line.
_LAST_PATCH = 1 << 30


@dataclass(frozen=True)
class Release:
    """An Istio release asked for: `1.22` (the whole minor line) or `1.22.3` (one patch)."""

    major: int
    minor: int
    patch: int | None = None

    @property
    def first(self) -> Version:
        return (self.major, self.minor, self.patch or 0)

    @property
    def last(self) -> Version:
        return (self.major, self.minor, self.patch if self.patch is not None else _LAST_PATCH)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}" + (f".{self.patch}" if self.patch is not None else "")


def parse_release(text: str) -> Release:
    """`1.22` or `1.22.3` (a leading `v` is allowed); anything else is a usage error."""
    found = _RELEASE.match(text.strip())
    if not found:
        raise UsageError(f"not an Istio release: {text!r}; use MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 1.22")
    major, minor, patch = found.groups()
    return Release(int(major), int(minor), int(patch) if patch is not None else None)


@dataclass(frozen=True)
class Range:
    """The releases a range admits, as one interval: [low, high] with inclusive flags (None = unbounded)."""

    text: str
    low: Version | None
    low_inclusive: bool
    high: Version | None
    high_inclusive: bool

    def admits(self, release: Release) -> bool:
        """Whether some release of `release` (a minor line, or one patch) lies in the range."""
        return _overlaps(self, release.first, release.last)

    def contains(self, other: Range) -> bool:
        """Whether every release `other` admits is admitted here too."""
        low_ok = self.low is None or (
            other.low is not None
            and (other.low > self.low or (other.low == self.low and (self.low_inclusive or not other.low_inclusive)))
        )
        high_ok = self.high is None or (
            other.high is not None
            and (
                other.high < self.high
                or (other.high == self.high and (self.high_inclusive or not other.high_inclusive))
            )
        )
        return low_ok and high_ok

    def meet(self, other: Range) -> Range:
        """The releases both ranges admit."""
        low, low_inclusive = self.low, self.low_inclusive
        if other.low is not None and (low is None or other.low > low or (other.low == low and not other.low_inclusive)):
            low, low_inclusive = other.low, other.low_inclusive
        high, high_inclusive = self.high, self.high_inclusive
        if other.high is not None and (
            high is None or other.high < high or (other.high == high and not other.high_inclusive)
        ):
            high, high_inclusive = other.high, other.high_inclusive
        return Range(_render(low, low_inclusive, high, high_inclusive), low, low_inclusive, high, high_inclusive)

    @property
    def empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and not (self.low_inclusive and self.high_inclusive))

    def __str__(self) -> str:
        return self.text


def parse_range(text: str) -> Range:
    """`>=1.22, <1.24` -> Range; a malformed range is a usage error (the model validates runbooks first)."""
    low: Version | None = None
    high: Version | None = None
    low_inclusive = high_inclusive = True
    for part in text.split(","):
        found = _CONSTRAINT.match(part.strip())
        if not found:
            raise UsageError(f"not a version range: {text!r}; use e.g. `>=1.22` or `>=1.22, <1.24`")
        op, major, minor, patch = found.groups()
        version = (int(major), int(minor), int(patch or 0))
        if op in (">=", ">", "=="):
            inclusive = op != ">"
            if low is None or version > low or (version == low and not inclusive):
                low, low_inclusive = version, inclusive
        if op in ("<=", "<", "=="):
            # `==1.14` and `<=1.14` mean the whole 1.14 line unless a patch is given.
            inclusive = op != "<"
            top = version if op == "<" or patch is not None else (version[0], version[1], _LAST_PATCH)
            if high is None or top < high or (top == high and not inclusive):
                high, high_inclusive = top, inclusive
    return Range(text, low, low_inclusive, high, high_inclusive)


def _render(low: Version | None, low_inclusive: bool, high: Version | None, high_inclusive: bool) -> str:
    def shown(version: Version) -> str:
        if version[2] == _LAST_PATCH:
            return f"{version[0]}.{version[1]}"
        return f"{version[0]}.{version[1]}" + (f".{version[2]}" if version[2] else "")

    parts = []
    if low is not None:
        parts.append((">=" if low_inclusive else ">") + shown(low))
    if high is not None:
        parts.append(("<=" if high_inclusive else "<") + shown(high))
    return ", ".join(parts) or ">=0.0"


def _overlaps(span: Range, first: Version, last: Version) -> bool:
    if span.low is not None and (last < span.low or (last == span.low and not span.low_inclusive)):
        return False
    return not (span.high is not None and (first > span.high or (first == span.high and not span.high_inclusive)))


def label(text: str) -> str:
    """How a version-limited item is marked on a page: `[Istio >=1.24]`."""
    return f"[Istio {text}]"


@dataclass(frozen=True)
class Difference:
    """One item of a runbook that does not hold for the release asked for."""

    section: str  # diagnosis, fix, verify, signatures, version_notes
    index: int  # position in the full runbook, 0-based
    what: str  # the step text, signature name or note
    istio: str  # the range it holds for

    def __str__(self) -> str:
        return f"{self.section}[{self.index}] holds for Istio {self.istio} only: {self.what}"


@dataclass(frozen=True)
class VersionView:
    """A runbook as it reads for one Istio release, and what was left out."""

    release: Release
    runbook: Runbook
    applies: bool  # whether `applies_to.istio` admits the release at all
    differences: tuple[Difference, ...]

    def notes(self) -> list[str]:
        """What a reader of this view must know: the release does not apply, and what was left out."""
        lines = []
        if not self.applies:
            lines.append(
                f"{self.runbook.id} is written for Istio {self.runbook.applies_to.istio}, not for {self.release}"
            )
        lines += [f"for Istio {self.release}, left out: {difference}" for difference in self.differences]
        return lines


_SECTIONS = ("diagnosis", "fix", "verify", "signatures", "version_notes")


def for_release(runbook: Runbook, release: Release | str) -> VersionView:
    """The runbook with every step, signature and note that does not hold for `release` removed."""
    asked = parse_release(release) if isinstance(release, str) else release
    update: dict[str, tuple[object, ...]] = {}
    differences: list[Difference] = []
    for section in _SECTIONS:
        kept: list[object] = []
        for index, item in enumerate(getattr(runbook, section)):
            istio = getattr(item, "istio", None)
            if istio is None or parse_range(istio).admits(asked):
                kept.append(item)
            else:
                differences.append(Difference(section, index, _what(item), istio))
        update[section] = tuple(kept)
    # Fix and diagnosis need at least one step; a view that would lose them all keeps them, listed as differing.
    for section in ("diagnosis", "fix"):
        if not update[section]:
            update[section] = getattr(runbook, section)
    view = runbook.model_copy(update=update)
    applies = parse_range(runbook.applies_to.istio).admits(asked)
    return VersionView(asked, view, applies, tuple(differences))


def holds(istio: str | None, release: Release) -> bool:
    """Whether an item limited to `istio` (None: not limited) holds for `release`."""
    return istio is None or parse_range(istio).admits(release)


def _what(item: object) -> str:
    for name in ("text", "name"):
        value = getattr(item, name, None)
        if isinstance(value, str):
            return value if len(value) <= 100 else value[:99] + "…"
    return type(item).__name__
