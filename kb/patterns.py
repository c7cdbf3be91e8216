"""RE2 behind one module: author-supplied patterns compile here, so none can backtrack on a hostile paste."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

_OPTIONS = re2.Options()
# RE2 logs parse failures to stderr through absl by default; kb reports them itself.
_OPTIONS.log_errors = False


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
    """Many patterns checked in one pass: RE2's FilteredRE2 finds the literal atoms each pattern needs, then
    runs only the patterns whose atoms are all in the text.

    An RE2 set (one automaton for every pattern) was the first design. It cost ~2 ms a 2 KB paste for the
    library's 663 patterns and thrashed its state cache, and ~100,000 distinct patterns (a 10,000-runbook
    library) did not compile as one set at all. Here 663 patterns cost ~0.2 ms and 106,000 ~30 ms, and
    building costs about what the set's compile did (~55 ms for 663; each pattern compiles on its own).
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = list(patterns)
        self._filter: Any = None
        if self._patterns:
            self._filter = re2.Filter()
            for pattern in self._patterns:
                self._filter.Add(pattern, _OPTIONS)
            self._filter.Compile()

    def __len__(self) -> int:
        return len(self._patterns)

    def matching(self, text: str) -> set[int]:
        """Indexes of the patterns found anywhere in `text`."""
        # The filter answers None rather than an empty list when nothing matches.
        return set(self._filter.Match(text) or ()) if self._filter is not None else set()

    def first_offset(self, index: int, text: str) -> int:
        """Where pattern `index` first matches in `text` (it must match)."""
        found = self._filter.re(index).search(text)
        return int(found.start()) if found is not None else 0
