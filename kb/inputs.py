"""Reading a paste: from a file, stdin or a terminal, size-checked, decoded leniently, refused when binary or empty."""

from __future__ import annotations

import codecs
import os
import sys
from typing import IO

from kb.errors import UsageError

# Pastes beyond this are refused rather than read into memory; a day of one proxy's logs is far less.
MAX_INPUT = 64 * 1024 * 1024


# Pastes above this size get a progress line on a terminal: matching them takes seconds.
LARGE_INPUT = 4 * 1024 * 1024
PROMPT = "Paste the log, curl output or events, then press Ctrl-D (or Enter on two empty lines):\n"


def read_paste(name: str, prompt: IO[str] | None = None) -> str:
    """The paste as text: stdin, a terminal or a file, size-checked, decoded leniently, refused when binary or empty.

    With a terminal on stdin the paste is asked for on `prompt` (stderr) and read until end of input or two
    empty lines in a row.
    """
    if name == "-":
        if sys.stdin is None:
            raise UsageError("no stdin to read; name a FILE or use --text '...'")
        if sys.stdin.isatty():
            return paste_text(read_from_terminal(sys.stdin.buffer, prompt or sys.stderr))
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
    else:
        if not os.path.lexists(name):
            raise UsageError(f"{name}: no such file; to match the text itself, use: kb match --text {_quoted(name)}")
        with open(name, "rb") as handle:
            data = handle.read(MAX_INPUT + 1)
    return paste_text(data)


def read_from_terminal(stream: IO[bytes], prompt: IO[str]) -> bytes:
    """Lines typed or pasted at a terminal, up to end of input (Ctrl-D) or two empty lines in a row."""
    prompt.write(PROMPT)
    prompt.flush()
    lines: list[bytes] = []
    size = 0
    while size <= MAX_INPUT:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        size += len(line)
        # A single empty line can be part of a log; two in a row after some text end the paste.
        if len(lines) >= 2 and not lines[-1].strip() and not lines[-2].strip() and b"".join(lines).strip():
            break
    return b"".join(lines)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def paste_text(data: bytes) -> str:
    """Bytes as text for matching; raises UsageError for input that is too big, binary or empty."""
    if len(data) > MAX_INPUT:
        raise UsageError(f"input is larger than {MAX_INPUT // 2**20} MiB; pass the part around the failure")
    data, text = decoded(data)
    sample = data[:65536]
    # Text logs hold no NUL bytes and decode as UTF-8 nearly everywhere; random bytes do neither.
    if sample.count(0) > len(sample) // 1000 or text[:65536].count("\ufffd") > len(sample) // 10:
        raise UsageError("input looks binary (NUL bytes or not text); kb matches text: logs, curl output, events")
    if not text.strip():
        raise UsageError("input is empty; paste a log, curl -v output, events or a symptom")
    return text


# Byte order marks, longest first (a UTF-32 LE mark starts like a UTF-16 LE one). PowerShell's `>` writes
# UTF-16 LE with a mark; its NUL bytes would otherwise read as binary.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decoded(data: bytes) -> tuple[bytes, str]:
    """The paste as UTF-8 bytes and as text: a byte order mark picks the encoding, else UTF-8; never raises."""
    for bom, encoding in _BOMS:
        # A UTF-16/32 log is mostly ASCII, so a quarter or more of its bytes are NUL; bytes that only start
        # like a mark (`\xff\xfe` in a Latin-1 paste) are read as UTF-8 with replacements instead.
        wide = encoding != "utf-8"
        if data.startswith(bom) and (not wide or data[:4096].count(0) * 4 >= len(data[:4096])):
            text = data[len(bom) :].decode(encoding, errors="replace")
            return text.encode("utf-8", errors="replace"), text
    return data, data.decode("utf-8", errors="replace")


def argv_text(value: str) -> str:
    """A command-line word as text: bytes that were not UTF-8 (kept by Python as lone surrogates) become U+FFFD."""
    try:
        raw = value.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no undecodable byte stands for
        raw = value.encode("utf-8", errors="replace")
    return raw.decode("utf-8", errors="replace")
