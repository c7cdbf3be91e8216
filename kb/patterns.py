"""RE2 behind one module: author-supplied patterns compile here, so none can backtrack on a hostile paste."""

from __future__ import annotations

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
