"""Every extractor does work linear in the paste: measured in characters touched and calls made, not time.

Each extractor's golden inputs are repeated into a paste of N and of 4N copies. A linear extractor does
about 4x the work on the second; one that slices `text[offset:]` per line (the old `envoy_headers`), or
rescans from every match, does ~16x. Work is counted on a `str` subclass that adds up the characters
each slice, search, split or case change on the paste covers, and by a profiler that counts calls.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
import yaml

from kb.signals import EXTRACTORS, Paste

from .conftest import DATA

CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "signal_cases.yaml").read_text(encoding="utf-8"))
# Work on 4x the input may be at most this many times the work on 1x (linear is 4, quadratic 16).
MAX_GROWTH = 5.0
COPIES = 40


class CountingText(str):
    """A str that adds the length of what every slice, search, split and case change covers to `touched`."""

    touched = 0

    def _count(self, start: int | None = None, end: int | None = None) -> None:
        span = range(len(self))[slice(start, end)]
        CountingText.touched += len(span)

    def __getitem__(self, key: Any) -> Any:
        result = str.__getitem__(self, key)
        if isinstance(key, slice):
            CountingText.touched += len(result)
            return CountingText(result)
        return result

    def find(self, sub: str, start: Any = None, end: Any = None) -> int:
        found = str.find(self, sub, start, end)
        self._count(start, end if found < 0 else found + len(sub))
        return found

    def rfind(self, sub: str, start: Any = None, end: Any = None) -> int:
        found = str.rfind(self, sub, start, end)
        self._count(start if found < 0 else found, end)
        return found

    def index(self, sub: str, start: Any = None, end: Any = None) -> int:
        found = str.index(self, sub, start, end)
        self._count(start, found + len(sub))
        return found

    def count(self, sub: str, start: Any = None, end: Any = None) -> int:
        self._count(start, end)
        return str.count(self, sub, start, end)

    def split(self, sep: Any = None, maxsplit: int = -1) -> list[str]:  # type: ignore[override]
        self._count()  # the last part copies the rest of the text however few splits are asked for
        return [CountingText(part) for part in str.split(self, sep, maxsplit)]

    def splitlines(self, keepends: bool = False) -> list[str]:
        self._count()
        return [CountingText(part) for part in str.splitlines(self, keepends)]

    def lower(self) -> str:
        self._count()
        return CountingText(str.lower(self))

    def upper(self) -> str:
        self._count()
        return CountingText(str.upper(self))

    def casefold(self) -> str:
        self._count()
        return CountingText(str.casefold(self))

    def __contains__(self, sub: object) -> bool:
        self._count()
        return str.__contains__(self, sub)  # type: ignore[operator]


def _work(extract: Callable[[Paste], object], text: str) -> tuple[int, int]:
    """(characters touched, calls made) while `extract` reads `text`."""
    paste = Paste.of(CountingText(text))
    calls = Counter[str]()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event in ("call", "c_call"):
            calls[event] += 1

    CountingText.touched = 0
    sys.setprofile(profile)
    try:
        extract(paste)
    finally:
        sys.setprofile(None)
    return CountingText.touched, calls.total()


def _golden_text(name: str) -> str:
    return "\n".join(case["text"].rstrip("\n") for case in CASES if case["extractor"] == name) + "\n"


@pytest.mark.parametrize("extractor", EXTRACTORS, ids=lambda e: e.name)
def test_every_extractor_does_linear_work_on_repeated_golden_inputs(extractor: Any) -> None:
    golden = _golden_text(extractor.name)
    assert golden.strip(), f"{extractor.name} has no golden inputs to repeat"
    small = _work(extractor.extract, golden * COPIES)
    large = _work(extractor.extract, golden * COPIES * 4)
    for what, one, four in zip(("characters touched", "calls"), small, large, strict=True):
        assert four <= MAX_GROWTH * max(one, 1), f"{what}: {one:,} on {COPIES} copies, {four:,} on {COPIES * 4}"


def test_the_counter_sees_a_quadratic_slice() -> None:
    """The meter itself: the per-line slice the old envoy_headers made must show as ~16x, not 4x."""

    def quadratic(paste: Paste) -> None:
        for offset, _ in paste.regions(("HTTP/",)):
            paste.text[offset:].split("\n", 3)

    text = "HTTP/1.1 503 Service Unavailable\nserver: envoy\n\n"
    one, _ = _work(quadratic, text * COPIES)
    four, _ = _work(quadratic, text * COPIES * 4)
    assert four > 12 * one
