"""Reading a paste: from a file or stdin, size-checked, decoded leniently, refused when binary or empty."""

from __future__ import annotations

import sys

from kb.errors import UsageError

# Pastes beyond this are refused rather than read into memory; a day of one proxy's logs is far less.
MAX_INPUT = 64 * 1024 * 1024


def read_paste(name: str) -> str:
    """The paste as text: stdin or a file, size-checked, decoded leniently, refused when binary or empty."""
    if name == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("paste text on stdin or name a FILE, e.g. `kubectl logs $POD -c istio-proxy | kb match`")
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
    else:
        with open(name, "rb") as handle:
            data = handle.read(MAX_INPUT + 1)
    return paste_text(data)


def paste_text(data: bytes) -> str:
    """Bytes as text for matching; raises UsageError for input that is too big, binary or empty."""
    if len(data) > MAX_INPUT:
        raise UsageError(f"input is larger than {MAX_INPUT // 2**20} MiB; pass the part around the failure")
    sample = data[:65536]
    text = data.decode("utf-8", errors="replace")
    # Text logs hold no NUL bytes and decode as UTF-8 nearly everywhere; random bytes do neither.
    if sample.count(0) > len(sample) // 1000 or text[:65536].count("\ufffd") > len(sample) // 10:
        raise UsageError("input looks binary (NUL bytes or not text); kb matches text: logs, curl output, events")
    if not text.strip():
        raise UsageError("input is empty; paste a log, curl -v output, events or a symptom")
    return text
