"""Warm `match` latency for a 2 KB paste and a 1 MB log, against one plain whoosh BM25 query.

The peer is the plain query on the same index: every distinct word of the text OR-ed over the body field,
no signals, no signatures, no term selection. Targets: 2 KB p50 <= 15 ms and <= 3x the peer; 1 MB <= 1 s.
The 2 KB figure is over 200 different pastes (runbook examples glued to ~2 KB), so caches that remember
earlier queries help only as much as they would in a long-running process.
Run: .venv/bin/python benchmarks/match_latency.py
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import PASTE_2KB, RUNBOOKS, big_log, p50, timings

from kb.library import open_library
from kb.matcher import match


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        library = open_library(RUNBOOKS, Path(cache))
        examples = [example.text for runbook in library.catalog for example in runbook.examples]
        pastes = [PASTE_2KB] + [glue(examples, start, 2048) for start in range(199)]
        ours = p50(each(pastes, lambda text: match(text, library)))
        peer = p50(each(pastes, lambda text: library.index.plain_search(text, 10)))
        report(f"2 KB pastes ({len(pastes)} different, {len(library.catalog)} runbooks)", ours, peer)
        log = big_log(1 << 20)
        ours = p50(timings(lambda: match(log, library), 10))
        peer = p50(timings(lambda: library.index.plain_search(log, 10), 10))
        report(f"1 MB log ({len(log):,} chars, p50 of 10)", ours, peer)
        library.close()


def glue(examples: list[str], start: int, size: int) -> str:
    """Consecutive examples from `start` on, joined until the text is about `size` characters."""
    parts: list[str] = []
    index = start
    while sum(map(len, parts)) < size:
        parts.append(examples[index % len(examples)])
        index += 1
    return "\n".join(parts)[:size]


def each(texts: list[str], action: Callable[[str], object]) -> list[float]:
    """Seconds per text, each text once, after one warm-up call on another text."""
    action("warm up: " + texts[-1][::-1])
    result = []
    for text in texts:
        start = time.perf_counter()
        action(text)
        result.append(time.perf_counter() - start)
    return result


def report(label: str, ours: float, peer: float) -> None:
    print(f"{label}:")
    print(f"  kb match:          {ours * 1000:8.2f} ms")
    print(f"  plain BM25 query:  {peer * 1000:8.2f} ms")
    print(f"  ratio kb / peer:   {ours / peer:8.2f}")


if __name__ == "__main__":
    main()
