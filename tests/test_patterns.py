"""kb.patterns: the pattern set finds exactly the patterns that match, and says where each one first does."""

from __future__ import annotations

import pytest

from kb.library import open_library
from kb.patterns import PatternSet, compile_pattern

from .conftest import RUNBOOKS


@pytest.fixture(scope="module")
def patterns_and_texts() -> tuple[list[str], list[str]]:
    library = open_library(RUNBOOKS, None)
    patterns = sorted({c.pattern for r in library.catalog for s in r.signatures for c in s.when if c.pattern})
    patterns += sorted({c.pattern for r in library.catalog for s in r.excludes for c in s.when if c.pattern})
    texts = [example.text for runbook in library.catalog for example in runbook.examples]
    library.close()
    return patterns, texts


def test_the_library_patterns_are_found_exactly_where_each_pattern_matches(
    patterns_and_texts: tuple[list[str], list[str]],
) -> None:
    patterns, texts = patterns_and_texts
    found = PatternSet(patterns)
    compiled = [compile_pattern(pattern) for pattern in patterns]
    for text in [*texts, text_in_upper_case(texts), "", "\x00" * 100]:
        want = {index for index, pattern in enumerate(compiled) if pattern.search(text)}
        assert found.matching(text) == want
        for index in want:
            assert found.first_offset(index, text) == compiled[index].search(text).start()


def text_in_upper_case(texts: list[str]) -> str:
    """Case-insensitive patterns must still be found when their literal atoms appear in other case."""
    return "\n".join(texts[:20]).upper()


def test_patterns_without_literal_atoms_and_an_empty_set() -> None:
    found = PatternSet([r"\d{3}", r"(?i)NO healthy UPSTREAM", r"[a-z]+-[0-9]+"])
    assert found.matching("no healthy upstream") == {1}
    assert found.matching("pod-7 got 503") == {0, 2}
    assert PatternSet([]).matching("anything") == set()
