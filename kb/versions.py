"""Istio version ranges and the view of a runbook for one Istio release. Pure functions, no I/O.

A range is the text runbooks use in `applies_to.istio` and in a step's, signature's or note's `istio`
field: one or more intervals joined by `||`, any of which may hold; an interval is constraints joined by
commas, all of which must hold (`>=1.22`, `>=1.22, <1.24`, `==1.14`, `>=1.25.4, <1.26 || >=1.26.1`).
The union is for what shipped in patch releases of several minor lines at once (IST0173 first came in
1.25.4 and 1.26.1). A release asked for without a patch number (`1.22`) stands for its whole minor line:
a range holds for it when it holds for at least one `1.22.z`, so `>=1.25.4` is shown for `1.25`, with a
note naming the first patch it holds from.
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
UNION = "||"


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
class Interval:
    """Releases from `low` to `high` with inclusive flags (None = unbounded)."""

    low: Version | None
    low_inclusive: bool
    high: Version | None
    high_inclusive: bool

    def clip(self, first: Version, last: Version) -> tuple[Version, Version] | None:
        """The first and last release of [first, last] this interval admits (patches are whole numbers)."""
        start, end = first, last
        if self.low is not None and (self.low > start or (self.low == start and not self.low_inclusive)):
            start = self.low if self.low_inclusive else (*self.low[:2], self.low[2] + 1)
        if self.high is not None and (self.high < end or (self.high == end and not self.high_inclusive)):
            end = self.high if self.high_inclusive else (*self.high[:2], self.high[2] - 1)
        return (start, end) if start <= end else None

    def meet(self, other: Interval) -> Interval:
        low, low_inclusive = self.low, self.low_inclusive
        if other.low is not None and (low is None or other.low > low or (other.low == low and not other.low_inclusive)):
            low, low_inclusive = other.low, other.low_inclusive
        high, high_inclusive = self.high, self.high_inclusive
        if other.high is not None and (
            high is None or other.high < high or (other.high == high and not other.high_inclusive)
        ):
            high, high_inclusive = other.high, other.high_inclusive
        return Interval(low, low_inclusive, high, high_inclusive)

    @property
    def empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and not (self.low_inclusive and self.high_inclusive))

    def __str__(self) -> str:
        parts = []
        if self.low is not None:
            parts.append((">=" if self.low_inclusive else ">") + shown(self.low))
        if self.high is not None:
            # `<=1.25.0` is one release, `<=1.25` the whole line: only the line's last release drops the patch.
            short = not self.high_inclusive or self.high[2] == _LAST_PATCH
            parts.append(("<=" if self.high_inclusive else "<") + (shown(self.high) if short else _full(self.high)))
        return ", ".join(parts) or ">=0.0"


def shown(version: Version) -> str:
    """`1.25.4`; `1.25` for a minor line's first (`.0`) or last release."""
    if version[2] == _LAST_PATCH or version[2] == 0:
        return f"{version[0]}.{version[1]}"
    return _full(version)


def _full(version: Version) -> str:
    return ".".join(map(str, version))


@dataclass(frozen=True)
class Range:
    """The releases a range admits: a union of intervals (empty: none)."""

    text: str
    intervals: tuple[Interval, ...]

    def admits(self, release: Release) -> bool:
        """Whether some release of `release` (a minor line, or one patch) lies in the range."""
        return any(interval.clip(release.first, release.last) for interval in self.intervals)

    def part_of(self, release: Release) -> str | None:
        """For a minor line the range admits only in part, which part (`from 1.25.4`); None when all or none."""
        if release.patch is not None:
            return None
        pieces = sorted(piece for i in self.intervals if (piece := i.clip(release.first, release.last)))
        if not pieces or any(piece == (release.first, release.last) for piece in pieces):
            return None
        return " and ".join(_piece(start, end, release) for start, end in pieces)

    def meet(self, other: Range) -> Range:
        """The releases both ranges admit."""
        met = [a.meet(b) for a in self.intervals for b in other.intervals]
        kept = tuple(dict.fromkeys(interval for interval in met if not interval.empty))
        return Range(f" {UNION} ".join(map(str, kept)) if kept else "(none)", kept)

    @property
    def empty(self) -> bool:
        return not self.intervals

    @property
    def low(self) -> Version | None:
        """The oldest release the range admits; None when it has no lower bound."""
        lows = [interval.low for interval in self.intervals]
        return None if not lows or None in lows else min(low for low in lows if low is not None)

    def __str__(self) -> str:
        return self.text


def _piece(start: Version, end: Version, line: Release) -> str:
    if end == line.last:
        return f"from {_full(start)}"
    if start == line.first:
        return f"up to {_full(end)}"
    return f"{_full(start)} to {_full(end)}"


def parse_range(text: str) -> Range:
    """`>=1.22, <1.24` or `>=1.25.4, <1.26 || >=1.26.1` -> Range; a malformed range is a usage error (the
    model validates runbooks first)."""
    intervals = tuple(_interval(text, alternative) for alternative in text.split(UNION))
    return Range(text, tuple(interval for interval in intervals if not interval.empty))


def _interval(text: str, alternative: str) -> Interval:
    low: Version | None = None
    high: Version | None = None
    low_inclusive = high_inclusive = True
    for part in alternative.split(","):
        found = _CONSTRAINT.match(part.strip())
        if not found:
            raise UsageError(
                f"not a version range: {text!r}; use e.g. `>=1.22`, `>=1.22, <1.24` or `>=1.25.4, <1.26 || >=1.26.1`"
            )
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
    return Interval(low, low_inclusive, high, high_inclusive)


def label(text: str) -> str:
    """How a version-limited item is marked on a page: `[Istio >=1.24]`, `[Istio >=1.25.4, <1.26 or >=1.26.1]`."""
    return f"[Istio {' or '.join(part.strip() for part in text.split(UNION))}]"


@dataclass(frozen=True)
class Difference:
    """One item of a runbook that does not hold for the release asked for."""

    section: str  # diagnosis, fix, verify, signatures, version_notes
    index: int  # position in the full runbook, 0-based
    what: str  # the step text, signature name or note
    istio: str  # the range it holds for
    part: str | None = None  # kept, but holds for only this part of the minor line asked for: `from 1.25.4`

    def __str__(self) -> str:
        return f"{self.section}[{self.index}] holds for Istio {self.istio} only: {self.what}"


@dataclass(frozen=True)
class VersionView:
    """A runbook as it reads for one Istio release, and what was left out."""

    release: Release
    runbook: Runbook
    applies: bool  # whether `applies_to.istio` admits the release at all
    differences: tuple[Difference, ...]
    # Kept items (and the runbook itself, section "applies_to") that hold for only part of the minor line asked.
    partial: tuple[Difference, ...] = ()

    def notes(self) -> list[str]:
        """What a reader of this view must know: the release does not apply, what was left out, and what holds
        only from (or up to) some patch of the minor line asked for."""
        lines = []
        if not self.applies:
            lines.append(
                f"{self.runbook.id} is written for Istio {self.runbook.applies_to.istio}, not for {self.release}"
            )
        lines += [f"for Istio {self.release}, left out: {difference}" for difference in self.differences]
        for item in self.partial:
            where = "the runbook" if item.section == "applies_to" else f"{item.section}[{item.index}]"
            what = "" if item.section == "applies_to" else f": {item.what}"
            lines.append(f"for Istio {self.release}, {where} holds only {item.part} (Istio {item.istio}){what}")
        return lines


_SECTIONS = ("diagnosis", "fix", "verify", "signatures", "version_notes")


def for_release(runbook: Runbook, release: Release | str) -> VersionView:
    """The runbook with every step, signature and note that does not hold for `release` removed."""
    asked = parse_release(release) if isinstance(release, str) else release
    update: dict[str, tuple[object, ...]] = {}
    differences: list[Difference] = []
    overall = parse_range(runbook.applies_to.istio)
    part = overall.part_of(asked)
    partial = [Difference("applies_to", 0, runbook.id, overall.text, part)] if part else []
    for section in _SECTIONS:
        kept: list[object] = []
        for index, item in enumerate(getattr(runbook, section)):
            istio = getattr(item, "istio", None)
            span = None if istio is None else parse_range(istio)
            if span is None or span.admits(asked):
                kept.append(item)
                # Only what the item narrows beyond the runbook's own range is news to the reader.
                part = None if span is None else overall.meet(span).part_of(asked)
                if part and part != overall.part_of(asked):
                    partial.append(Difference(section, index, _what(item), str(istio), part))
            else:
                differences.append(Difference(section, index, _what(item), str(istio)))
        update[section] = tuple(kept)
    # Fix and diagnosis need at least one step; a view that would lose them all keeps them, listed as differing.
    for section in ("diagnosis", "fix"):
        if not update[section]:
            update[section] = getattr(runbook, section)
    view = runbook.model_copy(update=update)
    return VersionView(asked, view, overall.admits(asked), tuple(differences), tuple(partial))


def holds(istio: str | None, release: Release) -> bool:
    """Whether an item limited to `istio` (None: not limited) holds for `release`."""
    return istio is None or parse_range(istio).admits(release)


def _what(item: object) -> str:
    for name in ("text", "name"):
        value = getattr(item, name, None)
        if isinstance(value, str):
            return value if len(value) <= 100 else value[:99] + "…"
    return type(item).__name__
