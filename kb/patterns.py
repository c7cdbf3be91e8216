"""RE2 behind one module: author-supplied patterns compile here, so none can backtrack on a hostile paste."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

_OPTIONS = re2.Options()
# RE2 logs parse failures to stderr through absl by default; kb reports them itself.
_OPTIONS.log_errors = False


# The set's DFA caches the states it has built, within this budget. With RE2's default (8 MB) the states the
# library's several hundred patterns need over ordinary pastes did not fit (measured with 663): the cache was
# reset again and again and every 2 KB paste cost ~6 ms. About 60 MB held them all; a warm process then
# checked a 2 KB paste in ~0.1 ms. The memory is taken only as states are built; the budget bounds it.
_SET_MEMORY = 128 << 20
_SET_OPTIONS = re2.Options()
_SET_OPTIONS.log_errors = False
_SET_OPTIONS.max_mem = _SET_MEMORY


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
    """Many patterns searched in one pass over the text (an RE2 set), then located one by one."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = list(patterns)
        # Compiled one by one only when the set found them: most never match, and compiling hundreds of
        # patterns up front would add a tenth of a second to every cold `kb match`.
        self._compiled: dict[int, Any] = {}
        self._set: Any = None
        if patterns:
            self._set = re2.Set.SearchSet(_SET_OPTIONS)
            for pattern in patterns:
                self._set.Add(pattern)
            self._set.Compile()

    def __len__(self) -> int:
        return len(self._patterns)

    def matching(self, text: str) -> set[int]:
        """Indexes of the patterns found anywhere in `text`."""
        # The set answers None rather than an empty list when nothing matches.
        return set(self._set.Match(text) or ()) if self._set is not None else set()

    def first_offset(self, index: int, text: str) -> int:
        """Where pattern `index` first matches in `text` (it must match)."""
        compiled = self._compiled.get(index)
        if compiled is None:
            compiled = self._compiled[index] = compile_pattern(self._patterns[index])
        found = compiled.search(text)
        return int(found.start()) if found is not None else 0
