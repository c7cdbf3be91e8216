"""RE2 behind one module: author-supplied patterns compile here, so none can backtrack on a hostile paste."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

_OPTIONS = re2.Options()
# RE2 logs parse failures to stderr through absl by default; kb reports them itself.
_OPTIONS.log_errors = False


# A set's DFA caches the states it has built, within a memory budget shared with its compiled program. With
# RE2's default (8 MB) the states the library's several hundred patterns need over ordinary pastes did not fit
# (measured with 663): the cache was reset again and again and every 2 KB paste cost ~6 ms. About 60 MB held
# them all; a warm process then checked a 2 KB paste in ~0.1 ms. Memory is taken only as states are built.
SETS_MEMORY = 128 << 20
# One set holds at most this many patterns. Much larger sets outgrow any budget: ~10,000 distinct patterns
# cost ~54 ms a 2 KB paste in one set, and ~100,000 (a 10,000-runbook library) did not compile as one set at
# all. Larger libraries get several sets, which share SETS_MEMORY (each at least RE2's default 8 MB).
SET_SIZE = 1000
_MIN_SET_MEMORY = 8 << 20


class PatternError(ValueError):
    """A pattern that RE2 refuses, with RE2's own reason."""


def compile_pattern(pattern: str) -> Any:
    """Compile `pattern` with RE2 or raise PatternError with RE2's reason."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        hint = " (RE2 has no lookaround or backreferences)" if "perl operator" in reason or "escape" in reason else ""
        raise PatternError(f"does not compile under RE2: {reason}{hint}") from None


class PatternSet:
    """Many patterns searched in few passes over the text (RE2 sets), then located one by one."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = list(patterns)
        # Compiled one by one only when a set found them: most never match, and compiling hundreds of
        # patterns up front would add a tenth of a second to every cold `kb match`.
        self._compiled: dict[int, Any] = {}
        self._options = re2.Options()
        self._options.log_errors = False
        self._options.max_mem = max(_MIN_SET_MEMORY, SETS_MEMORY // max(1, -(-len(patterns) // SET_SIZE)))
        self._sets: list[tuple[int, Any]] = []  # (index of its first pattern, set)
        for start in range(0, len(self._patterns), SET_SIZE):
            self._add_sets(start, self._patterns[start : start + SET_SIZE])

    def _add_sets(self, start: int, chunk: list[str]) -> None:
        """One set for `chunk`, or, if RE2 cannot compile that many together, sets for each half."""
        built = re2.Set.SearchSet(self._options)
        for pattern in chunk:
            built.Add(pattern)
        try:
            built.Compile()
        except re2.error:
            if len(chunk) == 1:
                raise PatternError(f"too large for RE2's memory budget: {chunk[0][:80]!r}") from None
            half = len(chunk) // 2
            self._add_sets(start, chunk[:half])
            self._add_sets(start + half, chunk[half:])
            return
        self._sets.append((start, built))

    def __len__(self) -> int:
        return len(self._patterns)

    def matching(self, text: str) -> set[int]:
        """Indexes of the patterns found anywhere in `text`."""
        data = text.encode("utf-8")  # once, not once per set
        # A set answers None rather than an empty list when nothing matches.
        return {start + index for start, built in self._sets for index in built.Match(data) or ()}

    def first_offset(self, index: int, text: str) -> int:
        """Where pattern `index` first matches in `text` (it must match)."""
        compiled = self._compiled.get(index)
        if compiled is None:
            compiled = self._compiled[index] = compile_pattern(self._patterns[index])
        found = compiled.search(text)
        return int(found.start()) if found is not None else 0
