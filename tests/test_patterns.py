"""kb.patterns: the RE2 sets find exactly the patterns that match, however they are split."""

from __future__ import annotations

import pytest

from kb.library import open_library
from kb.patterns import PatternSet, compile_pattern

from .conftest import RUNBOOKS


@pytest.fixture(scope="module")
def patterns_and_texts() -> tuple[list[str], list[str]]:
    library = open_library(RUNBOOKS, None)
    patterns = sorted({c.pattern for r in library.catalog for s in r.signatures for c in s.when if c.pattern})
    texts = [example.text for runbook in library.catalog for example in runbook.examples]
    library.close()
    return patterns, texts


def expected(patterns: list[str], text: str) -> set[int]:
    return {index for index, pattern in enumerate(patterns) if compile_pattern(pattern).search(text)}


@pytest.mark.parametrize(
    "settings",
    [
        {},  # the library's patterns fit one set
        {"SET_SIZE": 7},  # many sets
        {"SETS_MEMORY": 1 << 20, "_MIN_SET_MEMORY": 1 << 20},  # sets too big for the budget are halved
    ],
    ids=["one-set", "sets-of-7", "tiny-budget"],
)
def test_a_pattern_set_finds_what_each_pattern_finds(
    settings: dict[str, int], patterns_and_texts: tuple[list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in settings.items():
        monkeypatch.setattr(f"kb.patterns.{name}", value)
    patterns, texts = patterns_and_texts
    found = PatternSet(patterns)
    assert len(found._sets) > 1 if settings else len(found._sets) == 1
    for text in texts[::7]:
        assert found.matching(text) == expected(patterns, text)
